# xshm top-level Makefile.  The kernel module is built by Kbuild (see Kbuild
# and scripts/vm/build-module.sh); this file drives everything else.
#
#   make deps        install the Debian packages everything needs (root/sudo)
#   make             library and tools for this machine
#   make test        every test suite (native, sanitizers, arm64 guests, Xen)
#   make demo        the main job: two arm64 guests, RT-style logging, report
#   make demo-host   the same on a plain file on this machine, in seconds
#   make bench       benchmarks against peer rings and machine limits
#   make install     library, header, pkg-config file, tools, man pages

PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all deps lib tools test check demo demo-host bench install clean

all: tools

deps:
	scripts/install-deps.sh

lib:
	$(MAKE) -C lib/libxshm

tools: lib
	$(MAKE) -C tools

test check:
	scripts/run-tests.sh $(SUITES)

demo:
	scripts/demo/demo-vm.sh

demo-host: tools
	scripts/demo/demo-host.sh

bench: lib
	bench/run.sh

install: tools
	$(MAKE) -C lib/libxshm install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	$(MAKE) -C tools install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

clean:
	rm -rf build
