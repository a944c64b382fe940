package serve

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// TokenFile is the name of the file, beside the state database, that holds
// the SHA-256 of the dashboard's access token (hex, one line, mode 0600).
// The token itself is shown once, when it is generated; to get a new one,
// delete the file and start serve again.
const TokenFile = "serve-token.sha256"

// cookieName is the login cookie: the token itself, HttpOnly and
// SameSite=Strict, so that a page of another site never sends it.
const cookieName = "sagesaver_token"

// Auth checks the dashboard's access token. The zero value accepts
// nothing; a nil *Auth means authentication is off (loopback only, see
// CheckBind).
type Auth struct {
	hash [sha256.Size]byte
}

// LoadOrCreateToken reads the token hash from dir/TokenFile, or, when the
// file does not exist, generates a random token (32 bytes, hex), stores its
// hash there (0600, the directory 0700) and returns the token so that the
// caller can show it once. token is "" when the file already existed.
func LoadOrCreateToken(dir string) (a *Auth, token string, err error) {
	path := filepath.Join(dir, TokenFile)
	b, err := os.ReadFile(path)
	if err == nil {
		h, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(h) != sha256.Size {
			return nil, "", fmt.Errorf("read token hash %s: not a hex SHA-256; delete it to generate a new token", path)
		}
		a = &Auth{}
		copy(a.hash[:], h)
		return a, "", nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("read token hash: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, "", fmt.Errorf("generate token: %w", err)
	}
	token = hex.EncodeToString(raw)
	a = NewAuth(token)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", fmt.Errorf("store token hash: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, "", fmt.Errorf("store token hash: %w", err)
	}
	if _, err := fmt.Fprintln(f, hex.EncodeToString(a.hash[:])); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("store token hash %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, "", fmt.Errorf("store token hash %s: %w", path, err)
	}
	return a, token, nil
}

// NewAuth accepts token.
func NewAuth(token string) *Auth {
	return &Auth{hash: sha256.Sum256([]byte(token))}
}

// Valid reports whether token is the access token, in constant time.
func (a *Auth) Valid(token string) bool {
	if token == "" {
		return false
	}
	h := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(h[:], a.hash[:]) == 1
}
