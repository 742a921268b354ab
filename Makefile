# overflowd: `make run` and `make test` do all set-up on a fresh Debian machine (as root).
#
#   make run     install missing packages, build, print signed tracers for the bundled sample
#   make test    install, then format check, banned-function check, shellcheck, layer check, -Werror build
#                (gcc) with ctest, README segment reference check, a build with the optional
#                segments off, ASan+UBSan build (clang) with ctest, short libFuzzer runs
#   make readme  rewrite README.md's segment reference from `overflowd --segments --markdown`
#   make sim     the traceback simulator's default scenarios, tables and plots (docs/traceback.md)
#   make bench   build and run the benchmarks (bench/RESULTS.md explains the figures)
#   make fuzz    longer libFuzzer runs (FUZZ_SECONDS per target)
#   make install install under PREFIX (default /usr/local; DESTDIR for a staging root)
#   make deb     build the Debian package (dpkg-buildpackage -us -uc -b) into ..

BUILD        ?= build
BUILD_ASAN   ?= build-asan
BUILD_FUZZ   ?= build-fuzz
BUILD_MIN    ?= build-min
JOBS         ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 10
SAMPLE       := examples/netflow_4M.pcap.gz
PREFIX       ?= /usr/local

# Debian packages: build tools and libraries, then the peers the end-to-end tests compare with.
PKGS_BUILD := cmake make gcc clang iproute2 libclang-rt-14-dev clang-format pkg-config \
              libpcap-dev zlib1g-dev libcmocka-dev libyaml-dev libjansson-dev libzstd-dev \
              libsodium-dev libcurl4-openssl-dev libmicrohttpd-dev libsqlite3-dev shellcheck \
              librdkafka-dev libprotobuf-c-dev protobuf-c-compiler libssl-dev libmaxminddb-dev \
              libc-ares-dev libsnmp-dev libpcre2-dev libpq-dev
PKGS_PEERS := softflowd pmacct tshark tcpdump nfdump valgrind openssl curl sqlite3 python3-ipfix \
              kcat protobuf-compiler mmdb-bin dnsmasq-base snmpd snmp bgpdump jq prometheus \
              libmaxmind-db-writer-perl influxdb postgresql bird2 gobgpd stayrtr chromium gnuplot-nox \
              debhelper dpkg-dev lintian systemd

.PHONY: all deps deps-peers build run sim install deb test check-format check-banned check-shell check-layers check-readme test-minimal \
        readme test-gcc test-asan test-fuzz fuzz bench format clean install deb

all: build

deps:
	@./scripts/deps.sh $(PKGS_BUILD)

deps-peers:
	@./scripts/deps.sh $(PKGS_PEERS)

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_C_COMPILER=gcc

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

# The 2016 prototype's quick start: signed tracers about the sample's flows (the key is created
# in the build directory on first use), checked by `overflowd verify`.
run: build
	$(BUILD)/overflowd -f $(SAMPLE) -r 1e-5 -k $(BUILD)/signing.key | tee $(BUILD)/tracers.jsonl
	$(BUILD)/overflowd verify $(BUILD)/tracers.jsonl

test: deps deps-peers check-format check-banned check-shell check-layers test-gcc check-readme test-minimal test-asan test-fuzz
	@echo "make test: all checks passed"

check-format:
	@files=$$(git ls-files '*.c' '*.h'); \
	clang-format --dry-run -Werror $$files || { echo "run 'make format'"; exit 1; }

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# Functions that have no place in code that reads hostile input, and VLAs.
check-banned:
	@if grep -rnE --include='*.c' --include='*.h' --include='*.in' \
	     '\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|rand|gets|alloca)\s*\(' \
	     src include tests fuzz bench examples scripts; then echo "banned function in use"; exit 1; fi

# Every shell script, with the files it sources (-x: the `# shellcheck source=` paths are from
# the top of the tree). A `# shellcheck disable=` needs its reason beside it.
# The include rule of docs/ARCHITECTURE.md (section 2): no layer includes one above it.
check-layers:
	@./scripts/check-layers.sh

check-shell: deps
	@shellcheck -x $$(git ls-files '*.sh' .ci/run) || { echo "shellcheck: fix the scripts above"; exit 1; }

# README.md's segment reference (between <!-- segments:begin --> and <!-- segments:end -->) is
# what the built overflowd prints with --segments --markdown.
check-readme: build
	@./scripts/readme-segments.sh --check $(BUILD)/overflowd README.md

readme: build
	./scripts/readme-segments.sh $(BUILD)/overflowd README.md

test-gcc: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# A build with every optional segment off and only the segments the commands need (dump, -f/-u):
# what remains builds and passes its unit and segment tests (the end-to-end tests use the others).
MINIMAL_OFF := OPTIONAL_SEGMENTS STDIN FLOWFILTER DROP PASS ELEPHANT SYNC_TIMESTAMPS DROPFIELDS PRINT COUNT
test-minimal: deps
	cmake -S . -B $(BUILD_MIN) -DCMAKE_C_COMPILER=gcc $(foreach s,$(MINIMAL_OFF),$(if $(filter OPTIONAL_SEGMENTS,$(s)),-DOFD_OPTIONAL_SEGMENTS=OFF,-DOFD_SEGMENT_$(s)=OFF))
	cmake --build $(BUILD_MIN) -j $(JOBS)
	cd $(BUILD_MIN) && ctest --output-on-failure -j $(JOBS) -E '^e2e_'

test-asan: deps
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DOFD_SANITIZE=ON
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS)

$(BUILD_FUZZ)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD_FUZZ) -DCMAKE_C_COMPILER=clang -DOFD_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug

# Short runs in `make test`; `make fuzz FUZZ_SECONDS=600` for real sessions.
test-fuzz: deps $(BUILD_FUZZ)/Makefile
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target fuzzers
	@for t in $(BUILD_FUZZ)/fuzz_*; do \
	  name=$$(basename $$t); short=$${name#fuzz_}; \
	  work=$(BUILD_FUZZ)/corpus-$$short; mkdir -p $$work; \
	  echo "fuzzing $$short for $(FUZZ_SECONDS)s"; \
	  $$t -max_total_time=$(FUZZ_SECONDS) -max_len=65535 -rss_limit_mb=1024 -print_final_stats=0 \
	      $$work fuzz/corpus/$$short >$(BUILD_FUZZ)/fuzz-$$short.log 2>&1 \
	    || { tail -40 $(BUILD_FUZZ)/fuzz-$$short.log; exit 1; }; \
	done

fuzz: FUZZ_SECONDS = 300
fuzz: test-fuzz

# The traceback simulator's default scenario set (issue 19): CSV, tables and PNG plots in
# $(BUILD)/sim/ (docs/traceback.md reads them).
sim: build
	@./scripts/deps.sh gnuplot-nox
	sim/run.sh $(BUILD)

bench: build deps-peers
	./bench/run.sh $(BUILD)

# The prefix is given when configuring: the units and configs name the installed paths.
install: deps
	cmake -S . -B $(BUILD) -DCMAKE_C_COMPILER=gcc -DCMAKE_INSTALL_PREFIX=$(PREFIX)
	cmake --build $(BUILD) -j $(JOBS)
	DESTDIR=$(DESTDIR) cmake --install $(BUILD)

deb: deps
	@./scripts/deps.sh debhelper dpkg-dev lintian
	dpkg-buildpackage -us -uc -b
	lintian --fail-on error,warning ../overflowd_*_$$(dpkg --print-architecture).changes

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ) $(BUILD_MIN)
