/* -*- c++ -*- */
/*
 * Copyright 2026 gr-modrec authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_MODREC_IQ_FRAMER_H
#define INCLUDED_MODREC_IQ_FRAMER_H

#include <gnuradio/modrec/api.h>
#include <gnuradio/sync_decimator.h>
#include <string>

namespace gr {
namespace modrec {

/*!
 * \brief Cuts a complex stream into model input windows: float vectors of 2 x window, the I row
 * then the Q row, normalized per window as a model bundle asks.
 * \ingroup modrec
 *
 * Output item k is the window of `window` samples that ends at input sample (k + 1) * hop
 * (hop <= window: consecutive windows overlap by window - hop, and the first windows start with
 * zeros), or that starts at k * hop (hop > window: samples between windows are skipped).
 * Normalization: "maxmin" (each row mapped to [-1, 1]), "unit_power" (mean |x|^2 = 1),
 * "l2" (unit L2 norm) or "none". An optional second output gives each window's mean power
 * |x|^2 before normalization (for power gating). Each input tag is copied to the first window that contains it
 * (for hop > window, tags between windows go to the window before them).
 * The last window of a finite stream carries the tag `modrec_end` (value PMT_T), so a consumer
 * that works behind a queue knows when to finish; to that end the newest window is held back
 * until more input, or the end of the input, arrives.
 */
//! Key of the tag on the last window of a finite stream.
constexpr const char* END_TAG = "modrec_end";

class MODREC_API iq_framer : virtual public gr::sync_decimator
{
public:
    typedef std::shared_ptr<iq_framer> sptr;

    /*!
     * \param window samples per window (>= 2)
     * \param hop samples between window starts (>= 1)
     * \param normalization "maxmin", "unit_power", "l2" or "none"
     */
    static sptr make(int window, int hop, const std::string& normalization);
};

} // namespace modrec
} // namespace gr

#endif /* INCLUDED_MODREC_IQ_FRAMER_H */
