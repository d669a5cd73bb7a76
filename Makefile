# Two entry points, both idempotent: `make demo` and `make test` (see README.md).
# Each first does the whole set-up: Debian packages, .venv, CMake build and install.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .stamps
PREFIX := /usr/local
APT_PACKAGES := gnuradio-dev pybind11-dev cmake g++ python3-venv python3-h5py python3-scipy gir1.2-gtk-3.0 xvfb xauth \
                python3-tqdm python3-pytest python3-matplotlib python3-pyqt5 python3-yaml gr-osmosdr

.PHONY: setup demo test build grc

setup: $(STAMPS)/apt $(STAMPS)/venv build

$(STAMPS)/apt: Makefile
	@mkdir -p $(STAMPS)
	@if ! dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(APT_PACKAGES); fi
	@touch $@

# The venv is made from Debian's interpreter (GNU Radio's bindings need it) and sees its packages.
$(STAMPS)/venv: requirements.txt $(STAMPS)/apt
	@test -x $(PY) || /usr/bin/python3 -m venv --system-site-packages $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

build: $(STAMPS)/apt $(STAMPS)/venv
	@cmake -S . -B build -DCMAKE_INSTALL_PREFIX=$(PREFIX) -DPYTHON_EXECUTABLE=/usr/bin/python3 \
	    -DMODREC_PYTHON=$(CURDIR)/$(PY) >/dev/null
	@cmake --build build -j2 >/dev/null
	@cmake --install build >/dev/null
	@ldconfig

demo: setup
	$(PY) apps/demo.py

test: setup
	$(VENV)/bin/ruff check .
	cd build && ctest --output-on-failure
	$(PY) -m pytest

# GNU Radio Companion run by the .venv's interpreter, so flowgraphs it runs find onnxruntime and torch.
grc: setup
	$(PY) /usr/bin/gnuradio-companion
