package saml

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"time"
)

// GenerateKeyPair makes an RSA key of bits (at least 2048; 3072 for the
// SP) and a self-signed certificate for it, valid for ten years. SAML metadata only carries the public key in a
// certificate; no CA is involved (saml-metadata-interop).
func GenerateKeyPair(commonName string, bits int) (*rsa.PrivateKey, *x509.Certificate, error) {
	if bits < 2048 {
		return nil, nil, errors.New("RSA-Schlüssel unter 2048 Bit")
	}
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: commonName},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return key, cert, err
}

// LoadKeyPair reads a PEM private key (PKCS #1 or PKCS #8, RSA) and a PEM
// certificate of its public key.
func LoadKeyPair(keyFile, certFile string) (*rsa.PrivateKey, *x509.Certificate, error) {
	kb, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, nil, err
	}
	cb, err := os.ReadFile(certFile)
	if err != nil {
		return nil, nil, err
	}
	kp, _ := pem.Decode(kb)
	cp, _ := pem.Decode(cb)
	if kp == nil || cp == nil {
		return nil, nil, errors.New("SAML-Schlüssel oder -Zertifikat ist kein PEM")
	}
	var key *rsa.PrivateKey
	if k, err := x509.ParsePKCS1PrivateKey(kp.Bytes); err == nil {
		key = k
	} else if k8, err8 := x509.ParsePKCS8PrivateKey(kp.Bytes); err8 == nil {
		rk, ok := k8.(*rsa.PrivateKey)
		if !ok {
			return nil, nil, errors.New("der SAML-Schlüssel ist kein RSA-Schlüssel")
		}
		key = rk
	} else {
		return nil, nil, fmt.Errorf("SAML-Schlüssel: %w", err8)
	}
	cert, err := x509.ParseCertificate(cp.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("SAML-Zertifikat: %w", err)
	}
	if pub, ok := cert.PublicKey.(*rsa.PublicKey); !ok || !pub.Equal(&key.PublicKey) {
		return nil, nil, errors.New("SAML-Zertifikat und -Schlüssel passen nicht zusammen")
	}
	return key, cert, nil
}

// LoadOrCreateKeyPair loads the key pair from keyFile and certFile, or,
// when neither exists, generates one and writes them (mode 0600 and 0644).
func LoadOrCreateKeyPair(keyFile, certFile, commonName string) (*rsa.PrivateKey, *x509.Certificate, error) {
	_, errK := os.Stat(keyFile)
	_, errC := os.Stat(certFile)
	if !errors.Is(errK, os.ErrNotExist) || !errors.Is(errC, os.ErrNotExist) {
		return LoadKeyPair(keyFile, certFile)
	}
	key, cert, err := GenerateKeyPair(commonName, 3072)
	if err != nil {
		return nil, nil, err
	}
	kb := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	cb := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	if err := os.WriteFile(keyFile, kb, 0o600); err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(certFile, cb, 0o644); err != nil {
		return nil, nil, err
	}
	return key, cert, nil
}
