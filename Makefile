# Two entry points (README): `make run` and `make test`. Both install what they need.
SHELL := /bin/bash
# libcurl (OpenSSL flavour) sends notifications: HTTPS webhooks and SMTP (SiloNotify).
BUILD_DEBS := libzstd-dev libssl-dev libsqlite3-dev libpq-dev zlib1g-dev libcurl4-openssl-dev pkg-config
# The tests use a real PostgreSQL 15 server (postgresql) and its client programs.
# Legacy archives are made by GNU tar, bsdtar (libarchive-tools), Python's tarfile, zstd and openssl.
# strace stops a prune at a chosen system call and unshare runs a backup in its own PID namespace (prune interleaving tests).
# spin (and gcc for its verifier) checks the backup/prune protocol model (docs/model).
# stunnel4 is the TLS front of the S3 test server (https tests, with a CA openssl makes at start).
# python3-aiosmtpd is the SMTP receiver of the notification tests (scripts/notify-test-servers.sh).
# python3-jsonschema checks docs/CONFIG.md's examples against docs/silo.schema.json.
# prometheus brings promtool, which validates `silo monitor --format prometheus`.
# rclone mounts `silo serve`'s WebDAV drive in the tests (lists and copies a snapshot folder);
# chromium (headless, driven by scripts/browser-test.py over DevTools with python3-websocket) browses its pages.
TEST_DEBS := $(BUILD_DEBS) gzip tar zstd openssl libarchive-tools python3 python3-jsonschema postgresql postgresql-contrib postgresql-client procps strace util-linux spin gcc stunnel4 systemd prometheus python3-aiosmtpd rclone curl chromium python3-websocket
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test deps test-deps build release install bench clean

# Installs only the Debian packages that are missing.
define install_debs
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

deps:
	$(call install_debs,$(BUILD_DEBS))

test-deps:
	$(call install_debs,$(TEST_DEBS))

release: deps
	swift build -c release --product silo

build: deps
	swift build $(IMPORT_CHECK)

# The main job on the embedded default: a local demo repository.
run: release
	./scripts/demo.sh

# Every target declares the modules it imports (docs/ARCHITECTURE.md): SwiftPM's check fails the
# build on an import outside a target's dependencies, scripts/check-imports.sh on one that only
# comes along through another dependency.
IMPORT_CHECK := --explicit-target-dependency-import-check error

test: test-deps
	./scripts/check-imports.sh
	swift build --build-tests $(IMPORT_CHECK)
	./scripts/postgres-test-server.sh start
	./scripts/s3-test-server.sh start
	./scripts/notify-test-servers.sh start
	swift test --skip-build

# `make install [PREFIX=/usr/local] [DESTDIR=…]`: the release binary, a man page per command
# and bash, zsh and fish completions. The man pages come from the argument parser's own
# definitions (swift-argument-parser's generate-manual plugin, which runs the release build with
# --experimental-dump-help), the completions from the binary itself, so neither can drift.
PREFIX ?= /usr/local
MANUAL_DIR := .build/manual
install: release
	rm -rf $(MANUAL_DIR) && mkdir -p $(MANUAL_DIR)
	swift package --allow-writing-to-directory $(MANUAL_DIR) generate-manual --multi-page --output-directory $(MANUAL_DIR)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0755 .build/release/silo $(DESTDIR)$(PREFIX)/bin/silo
	install -m 0644 $(MANUAL_DIR)/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	.build/release/silo --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/silo
	.build/release/silo --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_silo
	.build/release/silo --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/silo.fish

# Benchmarks (not part of `make test`): micro-benchmarks, then silo beside restic and borg.
bench: release
	./Benchmarks/micro.sh
	./Benchmarks/compare.sh

clean:
	rm -rf .build
