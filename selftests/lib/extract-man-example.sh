#!/bin/sh
# Print the C program in a man page's EXAMPLES section (the text between
# .EX and .EE), with the roff escapes it uses turned back into C.
# usage: extract-man-example.sh PAGE > prog.c
set -eu
sed -n '/^\.SH EXAMPLES/,/^\.SH /p' "$1" |
	sed -n '/^\.EX$/,/^\.EE$/p' |
	sed -e '/^\.EX$/d' -e '/^\.EE$/d' -e 's/\\-/-/g' -e 's/\\e/\\/g'
