"""The papers the zoo's models come from, cited by title and, where the paper gives one, DOI or arXiv id."""

LIU_CNN_CLDNN = ("N. Liu, \"Research of Automatic Modulation Recognition Technology Based on Deep Learning\", "
                 "doi:10.54254/2755-2721/2025.TJ22241")
RAJENDRAN_LSTM = ("S. Rajendran et al., \"Deep Learning Models for Wireless Signal Classification With "
                  "Distributed Low-Cost Spectrum Sensors\", IEEE TCCN, doi:10.1109/TCCN.2018.2835460")
ZHANG_PET_CGDNN = ("F. Zhang, C. Luo, J. Xu, Y. Luo, \"An Efficient Deep Learning Model for Automatic Modulation "
                   "Recognition Based on Parameter Estimation and Transformation\", IEEE Communications Letters")
WANG_SE_JNNET = ("X. Wang, J. Wang, X. Lu, \"Modulation Recognition Method for Wireless Signals Based on Joint "
                 "Neural Networks\", IEEE Access")
CHEN_SIGNET = ("Z. Chen et al., \"SigNet: A Novel Deep Learning Framework for Radio Signal Classification\", "
               "IEEE TCCN (also its baselines: LSTM2, 2D CNN, 1D-ResNet, MCLDNN)")
_CLASSICAL_FEATURES = ("on classical features: W. A. Gardner, \"Exploitation of Spectral Redundancy in Cyclostationary "
                       "Signals\", IEEE SP Magazine, doi:10.1109/79.81007; A. Swami, B. M. Sadler, \"Hierarchical "
                       "Digital Modulation Classification Using Cumulants\", IEEE Trans. Communications, "
                       "doi:10.1109/26.837045")
GR_MODREC_HYBRID = "gr-modrec's own design (docs/models.md) " + _CLASSICAL_FEATURES
GR_MODREC_EQUALIZED = ("gr-modrec's own design (docs/field.md): a learned blind equalizer ahead of the cyclic hybrid; "
                       + _CLASSICAL_FEATURES)
