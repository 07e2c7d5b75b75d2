import numpy as np


def loss(z):
    return np.sum(np.abs(z) ** 2)


def phase_retrieval(phi, x, y):
    return np.sum((np.abs(np.fft.fft(x * np.exp(1j * phi))) - y) ** 2)
