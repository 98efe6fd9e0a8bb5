"""`recon report`: a static HTML report of the reconciliation, read from the marts (data), drawn with
matplotlib as inline SVG (charts) and laid out as one self-contained page (page)."""
