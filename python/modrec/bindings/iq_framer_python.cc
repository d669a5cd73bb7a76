/*
 * Copyright 2026 gr-modrec authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <pybind11/complex.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;

#include <gnuradio/modrec/iq_framer.h>
// pydoc.h is automatically generated in the build directory
#include <iq_framer_pydoc.h>

void bind_iq_framer(py::module& m)
{
    using iq_framer = gr::modrec::iq_framer;

    py::class_<iq_framer,
               gr::sync_decimator,
               gr::sync_block,
               gr::block,
               gr::basic_block,
               std::shared_ptr<iq_framer>>(m, "iq_framer", D(iq_framer))
        .def(py::init(&iq_framer::make),
             py::arg("window"),
             py::arg("hop"),
             py::arg("normalization"),
             D(iq_framer, make));
}
