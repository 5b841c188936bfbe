#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""pyjwt_mint.py - an independent JWT implementation for test_token.c.

Keys from python3-cryptography, JWKS and tokens from python3-jwt (PyJWT),
so that livegrant's verifier is checked against tokens it did not make, and
the development issuer's tokens against a verifier it did not write. Run it
with Debian's /usr/bin/python3 (tools/install-deps installs both packages).

  pyjwt_mint.py keygen EdDSA|ES256 PREFIX...   PREFIX.key, PREFIX.pub (PEM)
  pyjwt_mint.py jwks KID=PUB...                print a JWKS
  pyjwt_mint.py mint KEY ALG KID CLAIMS [TYP]  print a token (TYP default
                                               livegrant+jwt; "-" omits kid)
  pyjwt_mint.py mint-batch SPEC               one token per line for SPEC, a
                                               JSON list of {key, alg, kid,
                                               claims[, typ]}
  pyjwt_mint.py verify PUB ALG AUD TOKEN       print the claims; exit 1 if
                                               PyJWT refuses the token
"""
import base64
import json
import sys

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwt.algorithms import ECAlgorithm, OKPAlgorithm


def keygen(alg, *prefixes):
    for prefix in prefixes:
        keygen_one(alg, prefix)


def keygen_one(alg, prefix):
    if alg == "EdDSA":
        key = ed25519.Ed25519PrivateKey.generate()
    elif alg == "ES256":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        sys.exit(f"pyjwt_mint: unknown alg {alg}")
    with open(prefix + ".key", "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(prefix + ".pub", "wb") as f:
        f.write(key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo))


def load_public(path):
    with open(path, "rb") as f:
        return serialization.load_pem_public_key(f.read())


def pad_ec_coordinates(jwk, pub):
    """RFC 7518 6.2.1.2: x and y are the full size of the curve's field.
    Some PyJWT releases (2.6, Debian 12's) drop leading zero bytes, which
    livegrant rightly refuses; one key in 128 has one."""
    if jwk.get("kty") != "EC":
        return jwk
    size = (pub.curve.key_size + 7) // 8
    nums = pub.public_numbers()
    for name, value in (("x", nums.x), ("y", nums.y)):
        raw = value.to_bytes(size, "big")
        jwk[name] = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return jwk


def jwks(pairs):
    keys = []
    for pair in pairs:
        kid, path = pair.split("=", 1)
        pub = load_public(path)
        algo = OKPAlgorithm if isinstance(pub, ed25519.Ed25519PublicKey) else ECAlgorithm
        jwk = pad_ec_coordinates(json.loads(algo.to_jwk(pub)), pub)
        jwk["kid"] = kid
        keys.append(jwk)
    print(json.dumps({"keys": keys}))


def encode(key_path, alg, kid, claims, typ="livegrant+jwt"):
    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    headers = {"typ": typ}
    if kid != "-":
        headers["kid"] = kid
    return jwt.encode(claims, key, algorithm=alg, headers=headers)


def mint(key_path, alg, kid, claims_path, typ="livegrant+jwt"):
    with open(claims_path) as f:
        print(encode(key_path, alg, kid, json.load(f), typ))


def mint_batch(spec_path):
    """One token per line for a JSON list of {key, alg, kid, claims[, typ]}."""
    with open(spec_path) as f:
        for s in json.load(f):
            print(encode(s["key"], s["alg"], s["kid"], s["claims"], s.get("typ", "livegrant+jwt")))


def verify(pub_path, alg, aud, token_path):
    with open(token_path) as f:
        token = f.read().strip()
    try:
        claims = jwt.decode(token, load_public(pub_path), algorithms=[alg], audience=aud,
                            options={"require": ["exp", "iat", "nbf", "jti", "sub"]})
    except Exception as e:  # PyJWTError, or TypeError for a key of another type
        print(f"pyjwt_mint: PyJWT refused the token: {e!r}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps(claims))


def main(argv):
    cmds = {"keygen": (keygen, 2, None), "jwks": (jwks, 1, None),
            "mint": (mint, 4, 5), "mint-batch": (mint_batch, 1, 1),
            "verify": (verify, 4, 4)}
    if len(argv) < 2 or argv[1] not in cmds:
        sys.exit(__doc__)
    fn, lo, hi = cmds[argv[1]]
    args = argv[2:]
    if len(args) < lo or (hi is not None and len(args) > hi):
        sys.exit(__doc__)
    if fn is jwks:
        fn(args)
    else:
        fn(*args)


if __name__ == "__main__":
    main(sys.argv)
