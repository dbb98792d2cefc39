# EMR Stream. `make demo` runs the main job end to end on the embedded broker; `make test` runs the tests.
SWIFT ?= swift
CONFIG ?= debug
EMR = .build/$(CONFIG)/emr

.PHONY: all setup build release test demo broker bench image compose-test builtin-topics docs clean

all: build

# Installs the system libraries (Debian) when they are missing; needs root or sudo.
setup:
	@bash scripts/setup.sh

build: setup
	$(SWIFT) build -c $(CONFIG)

release:
	$(SWIFT) build -c release

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# Generate ▸ embedded broker ▸ producers for every facility ▸ consumer ▸ verify ▸ CSV export (demo-out/).
demo: build
	$(EMR) demo --out demo-out

# An embedded broker in the foreground; its address goes to .emr-bootstrap.
broker: build
	$(EMR) broker --bootstrap-file .emr-bootstrap

# Throughput figures (release build): the project's producer/consumer beside kcat.
bench: setup release
	bash scripts/bench-kafka.sh .build/release/emr
	bash scripts/bench-consume.sh 600 .build/release/emr

# The container image (docker, or podman where no Docker engine runs; see README).
image:
	bash scripts/build-image.sh

# docker-compose.yml for real: image, stack up, readiness, SIGKILL and restart, exact counts, SIGTERM.
compose-test:
	bash scripts/compose-test.sh

# Regenerates the topic declarations compiled into emr after topics/ changed.
builtin-topics:
	bash scripts/builtin-topics.sh

# Regenerates docs/marts.md (the data dictionary) from the code's declarations.
docs: build
	$(EMR) marts describe --format markdown > docs/marts.md

clean:
	rm -rf .build demo-out .emr-bootstrap
