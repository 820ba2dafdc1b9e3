"""One module per alert source, each turning its wire format into signals."""
