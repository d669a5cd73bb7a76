/* -*- c++ -*- */
/*
 * Copyright 2026 gr-modrec authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_MODREC_IQ_FRAMER_IMPL_H
#define INCLUDED_MODREC_IQ_FRAMER_IMPL_H

#include <gnuradio/modrec/iq_framer.h>

namespace gr {
namespace modrec {

class iq_framer_impl : public iq_framer
{
public:
    enum class norm { maxmin, unit_power, l2, none };

    iq_framer_impl(int window, int hop, const std::string& normalization);

    void forecast(int noutput_items, gr_vector_int& ninput_items_required) override;
    int work(int noutput_items,
             gr_vector_const_void_star& input_items,
             gr_vector_void_star& output_items) override;

private:
    const int d_window;
    const int d_hop;
    const norm d_norm;

    float energy(const float* i_row, const float* q_row) const;
    void normalize(float* i_row, float* q_row, float raw_energy) const;
    void copy_tags(int noutput_items);
    bool is_last_window(int produced) const;
};

} // namespace modrec
} // namespace gr

#endif /* INCLUDED_MODREC_IQ_FRAMER_IMPL_H */
