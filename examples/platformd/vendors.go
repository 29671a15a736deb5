package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/opengovcloud/govcloud"
	"github.com/opengovcloud/govcloud/adapters/httpprovider"
)

// vendorsFile is the JSON document of the -vendors flag: the vendors'
// endpoints (adapters/httpprovider) and the names of the environment
// variables that hold the shared secrets (secrets never sit in the file):
//
//	{"callback_secret_env": "GOVCLOUD_CALLBACK_SECRET",
//	 "vendors": [{"id": "vendor-a", "url": "https://cloud.vendor-a.example/govcloud", "secret_env": "VENDOR_A_SECRET"}]}
type vendorsFile struct {
	CallbackSecretEnv string        `json:"callback_secret_env,omitempty"`
	Vendors           []vendorEntry `json:"vendors"`
}

type vendorEntry struct {
	ID        string `json:"id"`
	URL       string `json:"url"`
	SecretEnv string `json:"secret_env"`
}

// loadVendors reads the vendors file and returns the providers and the
// callback secret (nil when callback_secret_env is not set).
func loadVendors(path string, getenv func(string) string) (map[string]govcloud.Provider, []byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f vendorsFile
	if err := dec.Decode(&f); err != nil {
		return nil, nil, fmt.Errorf("-vendors %s: %w", path, err)
	}
	providers := map[string]govcloud.Provider{}
	for i, v := range f.Vendors {
		where := fmt.Sprintf("-vendors %s: vendors[%d]", path, i)
		switch {
		case strings.TrimSpace(v.ID) == "":
			return nil, nil, fmt.Errorf("%s.id: required", where)
		case providers[v.ID] != nil:
			return nil, nil, fmt.Errorf("%s.id: vendor %q listed twice", where, v.ID)
		case v.SecretEnv == "":
			return nil, nil, fmt.Errorf("%s.secret_env: required (the variable holding the shared secret)", where)
		case getenv(v.SecretEnv) == "":
			return nil, nil, fmt.Errorf("%s.secret_env: environment variable %s is empty", where, v.SecretEnv)
		}
		c, err := httpprovider.NewClient(httpprovider.ClientOptions{BaseURL: v.URL, Secret: []byte(getenv(v.SecretEnv))})
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", where, err)
		}
		providers[v.ID] = c
	}
	var secret []byte
	if f.CallbackSecretEnv != "" {
		if secret = []byte(getenv(f.CallbackSecretEnv)); len(secret) == 0 {
			return nil, nil, fmt.Errorf("-vendors %s: callback_secret_env: environment variable %s is empty", path, f.CallbackSecretEnv)
		}
	}
	return providers, secret, nil
}
