# xshm top-level Makefile.  The kernel module is built by Kbuild (see Kbuild
# and scripts/vm/build-module.sh); this file drives everything else.
#
#   make deps        install the Debian packages everything needs (root/sudo)
#   make             library and tools for this machine
#   make test        every test suite (native, sanitizers, arm64 guests, Xen)
#   make demo        the main job on Xen 4.22: the bare-metal RT domain logs
#                    into a Debian systemd domU's xshm-logd; totals checked
#   make demo-qemu   lighter: two arm64 guests under QEMU, xshm-rtsim as RT
#   make demo-host   lighter still: a plain file on this machine, in seconds
#   make rtdomain    the bare-metal RT domain image (rtdomain/, arm64)
#   make bench       benchmarks against peer rings and machine limits
#   make install     library, headers, pkg-config file, tools, man pages,
#                    udev rule, systemd unit (PREFIX, DESTDIR honoured)
#   make uninstall   remove what make install put there (same variables)
#   make module      the driver for the running kernel (KDIR to change)
#   make modules_install   the module and its modules-load.d entry
#   make dkms-source the driver's sources and dkms.conf in
#                    /usr/src/xshm-<version>, for "dkms install xshm/<version>"
#   make modules-load_install   only the modules-load.d entry (with DKMS)

PREFIX ?= /usr/local
DESTDIR ?=
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
MODULESLOADDIR ?= $(PREFIX)/lib/modules-load.d
KDIR ?= /lib/modules/$(shell uname -r)/build
DKMS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' dkms.conf)
DKMSSRCDIR ?= /usr/src/xshm-$(DKMS_VERSION)

.PHONY: all deps lib tools test check demo demo-qemu demo-host rtdomain bench install uninstall \
	clean module modules_install modules-load_install dkms-source

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
	scripts/demo/demo-xen.sh

demo-qemu:
	scripts/demo/demo-vm.sh

rtdomain:
	$(MAKE) -C rtdomain all nm-check

demo-host: tools
	scripts/demo/demo-host.sh

bench: lib
	bench/run.sh

install: tools
	$(MAKE) -C lib/libxshm install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	$(MAKE) -C tools install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	install -D -m 0644 udev/60-xshm.rules \
		$(DESTDIR)$(UDEVRULESDIR)/60-xshm.rules

uninstall:
	$(MAKE) -C lib/libxshm uninstall PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	$(MAKE) -C tools uninstall PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	rm -f $(DESTDIR)$(UDEVRULESDIR)/60-xshm.rules \
		$(DESTDIR)$(MODULESLOADDIR)/xen-static-shm.conf

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# The module, and the modules-load.d entry that loads it at boot.
modules_install: module modules-load_install
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install

modules-load_install:
	install -D -m 0644 modules-load.d/xen-static-shm.conf \
		$(DESTDIR)$(MODULESLOADDIR)/xen-static-shm.conf

dkms-source:
	install -D -m 0644 -t $(DESTDIR)$(DKMSSRCDIR) dkms.conf Kbuild
	install -D -m 0644 -t $(DESTDIR)$(DKMSSRCDIR)/driver driver/*.[ch]
	install -D -m 0644 -t $(DESTDIR)$(DKMSSRCDIR)/include/uapi/linux \
		include/uapi/linux/xshm.h

clean:
	rm -rf build
