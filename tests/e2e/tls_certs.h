/*
 * tls_certs.h: two self-signed certificates (EC P-256, CN localhost, SANs
 * DNS:localhost and IP:127.0.0.1, valid 2000-2099) with their keys, for
 * the TLS tests. Throw-away test material: each is its own CA, so a client
 * trusts a server by taking its certificate as the CA chain, and trusting
 * "b" while the server shows "a" is a verification failure. Clients verify
 * the name "localhost": mbedTLS 2.28 (Debian 12's, under nng) matches DNS
 * names only, not IP addresses.
 */
#ifndef TESTS_E2E_TLS_CERTS_H
#define TESTS_E2E_TLS_CERTS_H

static const char tls_cert_a[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBdDCCARqgAwIBAgIBATAKBggqhkjOPQQDAjAUMRIwEAYDVQQDDAlsb2NhbGhv\n"
    "c3QwIBcNMDAwMTAxMDAwMDAwWhgPMjA5OTEyMzEwMDAwMDBaMBQxEjAQBgNVBAMM\n"
    "CWxvY2FsaG9zdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABC7x5EENcdaBT86Q\n"
    "7ASvzCnH2YfZFwlWuoLznjeJbkBXq0DBOlERd7PNciTfHq8S7BV4OinMTBIC14Ex\n"
    "zqxi632jWzBZMBoGA1UdEQQTMBGCCWxvY2FsaG9zdIcEfwAAATAPBgNVHRMBAf8E\n"
    "BTADAQH/MAsGA1UdDwQEAwIChDAdBgNVHQ4EFgQU/+HH6K5F+g70U58yDlJG876x\n"
    "AYUwCgYIKoZIzj0EAwIDSAAwRQIhANdXbkUepq14sqfylWnPTc0q3KBUMm2a1F5M\n"
    "Dm4QFDM/AiA1DjeGJ4ZrVr0RJmJzMAUDucqlkpzbcqwQA1nhYW/kBA==\n"
    "-----END CERTIFICATE-----\n";

static const char tls_key_a[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQghTGStRdu9B8uQ9At\n"
    "ISGPAYCVjFqw2VFGdIitnj1JFCGhRANCAAQu8eRBDXHWgU/OkOwEr8wpx9mH2RcJ\n"
    "VrqC8543iW5AV6tAwTpREXezzXIk3x6vEuwVeDopzEwSAteBMc6sYut9\n"
    "-----END PRIVATE KEY-----\n";

static const char tls_cert_b[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBdTCCARqgAwIBAgIBATAKBggqhkjOPQQDAjAUMRIwEAYDVQQDDAlsb2NhbGhv\n"
    "c3QwIBcNMDAwMTAxMDAwMDAwWhgPMjA5OTEyMzEwMDAwMDBaMBQxEjAQBgNVBAMM\n"
    "CWxvY2FsaG9zdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABByhMjEiEgr424rS\n"
    "zPjmmTeOiJtSkzLRazA1kKKY+ai+G5eHtPBZnAoAdpmCP3V+tQNo+zgT76ZSZI30\n"
    "NfgxSwCjWzBZMBoGA1UdEQQTMBGCCWxvY2FsaG9zdIcEfwAAATAPBgNVHRMBAf8E\n"
    "BTADAQH/MAsGA1UdDwQEAwIChDAdBgNVHQ4EFgQUsOWPb2f5xpWR0Y/K4wSXG0GZ\n"
    "x6QwCgYIKoZIzj0EAwIDSQAwRgIhAPAjJ8lbjR5DG9MssN3amEFx49DMD9h67m2x\n"
    "rrpLVSvDAiEAyHDVNe9R6LVCif0UBdsjEC8qgL+VA6AWNVMKhaEKrKo=\n"
    "-----END CERTIFICATE-----\n";

static const char tls_key_b[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgte6d9Rw648P1ki52\n"
    "jE7x19gLyBqO+NGB3PmdT98BjEmhRANCAAQcoTIxIhIK+NuK0sz45pk3joibUpMy\n"
    "0WswNZCimPmovhuXh7TwWZwKAHaZgj91frUDaPs4E++mUmSN9DX4MUsA\n"
    "-----END PRIVATE KEY-----\n";

#endif /* TESTS_E2E_TLS_CERTS_H */
