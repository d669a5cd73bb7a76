/* -*- c++ -*- */
/*
 * Copyright 2026 gr-modrec authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "iq_framer_impl.h"
#include <gnuradio/block_detail.h>
#include <gnuradio/buffer_reader.h>
#include <gnuradio/io_signature.h>
#include <volk/volk.h>
#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace gr {
namespace modrec {

namespace {
constexpr float eps = 1e-12f; // same floor as modrec_core.normalize

iq_framer_impl::norm parse_norm(const std::string& name)
{
    if (name == "maxmin")
        return iq_framer_impl::norm::maxmin;
    if (name == "unit_power")
        return iq_framer_impl::norm::unit_power;
    if (name == "l2")
        return iq_framer_impl::norm::l2;
    if (name == "none")
        return iq_framer_impl::norm::none;
    throw std::invalid_argument("iq_framer: unknown normalization '" + name +
                                "'; use maxmin, unit_power, l2 or none");
}

int checked_window(int window, int hop)
{
    if (window < 2)
        throw std::invalid_argument("iq_framer: window must be >= 2 samples");
    if (hop < 1)
        throw std::invalid_argument("iq_framer: hop must be >= 1 sample");
    return window;
}

void scale_row(float* row, int n, float gain, float offset)
{
    for (int k = 0; k < n; k++)
        row[k] = row[k] * gain + offset;
}
} // namespace

iq_framer::sptr iq_framer::make(int window, int hop, const std::string& normalization)
{
    return gnuradio::make_block_sptr<iq_framer_impl>(window, hop, normalization);
}

iq_framer_impl::iq_framer_impl(int window, int hop, const std::string& normalization)
    : gr::sync_decimator("iq_framer",
                         gr::io_signature::make(1, 1, sizeof(gr_complex)),
                         gr::io_signature::makev(
                             1,
                             2,
                             { int(2 * sizeof(float)) * checked_window(window, hop),
                               int(sizeof(float)) }),
                         hop),
      d_window(window),
      d_hop(hop),
      d_norm(parse_norm(normalization))
{
    set_history(std::max(window - hop, 0) + 1);
    set_tag_propagation_policy(TPP_DONT);
}

float iq_framer_impl::energy(const float* i_row, const float* q_row) const
{
    float ii = 0, qq = 0;
    volk_32f_x2_dot_prod_32f(&ii, i_row, i_row, d_window);
    volk_32f_x2_dot_prod_32f(&qq, q_row, q_row, d_window);
    return ii + qq;
}

void iq_framer_impl::normalize(float* i_row, float* q_row, float raw_energy) const
{
    const int n = d_window;
    if (d_norm == norm::maxmin) {
        for (float* row : { i_row, q_row }) {
            const auto [lo, hi] = std::minmax_element(row, row + n);
            const float lo_v = *lo;
            const float gain = 2.0f / std::max(*hi - lo_v, eps);
            scale_row(row, n, gain, -lo_v * gain - 1.0f);
        }
        return;
    }
    if (d_norm == norm::none)
        return;
    const float e = d_norm == norm::unit_power ? raw_energy / n : raw_energy;
    const float gain = 1.0f / std::sqrt(std::max(e, eps));
    volk_32f_s32f_multiply_32f(i_row, i_row, gain, n);
    volk_32f_s32f_multiply_32f(q_row, q_row, gain, n);
}

void iq_framer_impl::copy_tags(int noutput_items)
{
    const uint64_t first = nitems_read(0);
    std::vector<tag_t> tags;
    get_tags_in_range(tags, 0, first, first + uint64_t(noutput_items) * d_hop);
    for (const auto& tag : tags) {
        const uint64_t k = (tag.offset - first) / d_hop;
        add_item_tag(0, nitems_written(0) + k, tag.key, tag.value, tag.srcid);
    }
}

bool iq_framer_impl::is_last_window(int produced) const
{
    const int lead = int(history()) - 1;
    const int possible = (detail()->input(0)->items_available() - lead) / d_hop;
    return produced == possible;
}

void iq_framer_impl::forecast(int noutput_items, gr_vector_int& ninput_items_required)
{
    // One window more than asked for until the input has ended: the newest window waits (the
    // scheduler sleeps on its input meanwhile), so the last window of a finite stream always
    // comes in a call that knows it is the last, and carries the end tag.
    const bool input_ended = detail()->input(0)->done();
    ninput_items_required[0] = fixed_rate_noutput_to_ninput(noutput_items + (input_ended ? 0 : 1));
}

int iq_framer_impl::work(int noutput_items,
                         gr_vector_const_void_star& input_items,
                         gr_vector_void_star& output_items)
{
    const bool input_ended = detail()->input(0)->done();
    const auto in = static_cast<const gr_complex*>(input_items[0]);
    auto out = static_cast<float*>(output_items[0]);
    auto power = output_items.size() > 1 ? static_cast<float*>(output_items[1]) : nullptr;
    for (int k = 0; k < noutput_items; k++) {
        float* i_row = out + size_t(k) * 2 * d_window;
        float* q_row = i_row + d_window;
        volk_32fc_deinterleave_32f_x2(i_row, q_row, in + size_t(k) * d_hop, d_window);
        const float e = energy(i_row, q_row);
        if (power)
            power[k] = e / d_window;
        normalize(i_row, q_row, e);
    }
    copy_tags(noutput_items);
    if (input_ended && is_last_window(noutput_items))
        add_item_tag(0,
                     nitems_written(0) + noutput_items - 1,
                     pmt::intern(END_TAG),
                     pmt::PMT_T,
                     alias_pmt());
    return noutput_items;
}

} /* namespace modrec */
} /* namespace gr */
