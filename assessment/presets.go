package assessment

import (
	"embed"
	"fmt"
)

//go:embed presets/*.json
var presetFS embed.FS

// Preset scheme family IDs.
const (
	DepartmentSchemeID = "department" // 第二十二条
	VendorSchemeID     = "vendor"     // 第二十三条 (with 第十五条, 第十九条)
)

// PresetJSON returns the embedded JSON document of a preset ("department" or
// "vendor"), to save, edit and load back with ParseScheme.
func PresetJSON(id string) ([]byte, error) {
	b, err := presetFS.ReadFile("presets/" + id + ".json")
	if err != nil {
		return nil, fmt.Errorf("%w: no preset %q", ErrNoSchemeInForce, id)
	}
	return b, nil
}

// Preset parses a preset; each call returns a fresh Scheme.
func Preset(id string) (*Scheme, error) {
	b, err := PresetJSON(id)
	if err != nil {
		return nil, err
	}
	return ParseScheme(b)
}

// DepartmentScheme returns the preset department scheme (第二十二条).
func DepartmentScheme() (*Scheme, error) { return Preset(DepartmentSchemeID) }

// VendorScheme returns the preset vendor scheme (第二十三条).
func VendorScheme() (*Scheme, error) { return Preset(VendorSchemeID) }

// Presets returns a SchemeSet holding both presets.
func Presets() (*SchemeSet, error) {
	d, err := DepartmentScheme()
	if err != nil {
		return nil, err
	}
	v, err := VendorScheme()
	if err != nil {
		return nil, err
	}
	return NewSchemeSet(d, v)
}
