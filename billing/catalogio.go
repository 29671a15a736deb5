package billing

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/opengovcloud/govcloud/quota"
)

// Column names of the catalog CSV files. The header row must name every
// column once, in any order; unknown columns are an error.
var (
	ItemColumns  = []string{"code", "name", "name_en", "unit", "basis", "proration", "footprint", "std_code"}
	PriceColumns = []string{"item", "vendor", "contract", "unit_price", "from", "to"}
)

// maxImportRows bounds one catalog import, which is held in memory, so a
// hostile file cannot exhaust it. Usage streams are not bounded: they are
// handed on record by record.
const maxImportRows = 1_000_000

// csvTable reads a CSV with a header naming columns from cols; it returns
// the column index per name and calls row for each data row (row numbers are
// 1-based with the header as row 1). maxRows > 0 bounds the data rows.
func csvTable(r io.Reader, cols []string, maxRows int, row func(n int, get func(string) string) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err == io.EOF {
		return &RowError{Row: 1, Field: cols[0], Err: fieldErr(ErrInvalid, cols[0], "", "missing header row")}
	}
	if err != nil {
		return csvErr(err, 1, cols[0])
	}
	idx := map[string]int{}
	for i, h := range head {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))
		if !slices.Contains(cols, h) {
			return &RowError{Row: 1, Field: h, Err: fieldErr(ErrInvalid, h, "", "unknown column")}
		}
		if _, dup := idx[h]; dup {
			return &RowError{Row: 1, Field: h, Err: fieldErr(ErrInvalid, h, "", "duplicate column")}
		}
		idx[h] = i
	}
	for _, c := range cols {
		if _, ok := idx[c]; !ok {
			return &RowError{Row: 1, Field: c, Err: fieldErr(ErrInvalid, c, "", "missing column")}
		}
	}
	for n := 2; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvErr(err, n, "")
		}
		if len(rec) != len(head) {
			return &RowError{Row: n, Field: "", Err: fieldErr(ErrInvalid, "row", "", fmt.Sprintf("%d fields, header has %d", len(rec), len(head)))}
		}
		if maxRows > 0 && n > maxRows+1 {
			return &RowError{Row: n, Err: fieldErr(ErrInvalid, "row", "", "too many rows")}
		}
		get := func(c string) string { return strings.TrimSpace(rec[idx[c]]) }
		if err := row(n, get); err != nil {
			return err
		}
	}
}

func csvErr(err error, row int, field string) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) && pe.Line > 0 {
		row = pe.Line
	}
	return &RowError{Row: row, Field: field, Err: fmt.Errorf("%w: csv: %v", ErrInvalid, err)}
}

func rowErr(n int, err error) error {
	if re, ok := err.(*RowError); ok {
		return re
	}
	return &RowError{Row: n, Field: errField(err), Err: err}
}

// ParseFootprint parses "vcpu=1000;memory=2048" (base units of package
// quota); "" is the zero vector.
func ParseFootprint(s string) (quota.Vector, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	v := quota.Vector{}
	for part := range strings.SplitSeq(s, ";") {
		k, a, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fieldErr(ErrInvalid, "footprint", s, "want dim=amount;dim=amount")
		}
		d := quota.Dimension(strings.TrimSpace(k))
		if err := d.Validate(); err != nil {
			return nil, fieldErr(ErrInvalid, "footprint", s, "bad dimension "+strconv.Quote(string(d)))
		}
		if _, dup := v[d]; dup {
			return nil, fieldErr(ErrInvalid, "footprint", s, "duplicate dimension "+string(d))
		}
		n, err := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
		if err != nil || n < 0 {
			return nil, fieldErr(ErrInvalid, "footprint", s, "amount of "+string(d)+" must be a non-negative integer")
		}
		v[d] = n
	}
	return v.Clone(), nil
}

// FormatFootprint is the inverse of ParseFootprint (dimensions sorted).
func FormatFootprint(v quota.Vector) string {
	var parts []string
	for _, d := range v.Dimensions() {
		parts = append(parts, string(d)+"="+strconv.FormatInt(v[d], 10))
	}
	return strings.Join(parts, ";")
}

// ReadItemsCSV parses catalog items from CSV (columns ItemColumns). Each item
// is validated; the error is a *RowError naming the row and field.
func ReadItemsCSV(r io.Reader) ([]Item, error) {
	var out []Item
	err := csvTable(r, ItemColumns, maxImportRows, func(n int, get func(string) string) error {
		fp, err := ParseFootprint(get("footprint"))
		if err != nil {
			return rowErr(n, err)
		}
		it := Item{Code: get("code"), Name: get("name"), NameEn: get("name_en"), Unit: get("unit"),
			Basis: Basis(get("basis")), Proration: Proration(get("proration")), Footprint: fp, StdCode: get("std_code")}
		if err := it.Validate(); err != nil {
			return rowErr(n, err)
		}
		out = append(out, it)
		return nil
	})
	return out, err
}

// ReadPricesCSV parses price versions from CSV (columns PriceColumns).
func ReadPricesCSV(r io.Reader) ([]Price, error) {
	var out []Price
	err := csvTable(r, PriceColumns, maxImportRows, func(n int, get func(string) string) error {
		p, err := priceFromStrings(get("item"), get("vendor"), get("contract"), get("unit_price"), get("from"), get("to"))
		if err != nil {
			return rowErr(n, err)
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

func priceFromStrings(item, vendor, contract, unit, from, to string) (Price, error) {
	up, err := strconv.ParseInt(unit, 10, 64)
	if err != nil {
		return Price{}, fieldErr(ErrInvalid, "unit_price", unit, "want an integer number of 分")
	}
	f, err := ParseDate(from)
	if err != nil {
		return Price{}, fieldErr(ErrInvalid, "from", from, "want YYYY-MM-DD")
	}
	var t Date
	if to != "" {
		if t, err = ParseDate(to); err != nil {
			return Price{}, fieldErr(ErrInvalid, "to", to, "want YYYY-MM-DD or empty")
		}
	}
	p := Price{Item: item, Vendor: vendor, Contract: contract, UnitPrice: up, From: f, To: t}
	return p, p.Validate()
}

// ImportCatalogCSV reads items and prices from two CSV files and builds a
// validated catalog: a duplicate code, a price of an unknown item, a price
// without a vendor or overlapping another version is a *RowError naming the
// row of its file. Nothing is returned on error.
func ImportCatalogCSV(items, prices io.Reader) (*Catalog, error) {
	its, err := ReadItemsCSV(items)
	if err != nil {
		return nil, fmt.Errorf("items: %w", err)
	}
	ps, err := ReadPricesCSV(prices)
	if err != nil {
		return nil, fmt.Errorf("prices: %w", err)
	}
	c := &Catalog{}
	for i, it := range its {
		if err := c.AddItem(it); err != nil {
			return nil, fmt.Errorf("items: %w", rowErr(i+2, err))
		}
	}
	for i, p := range ps {
		if err := c.AddPrice(p); err != nil {
			return nil, fmt.Errorf("prices: %w", rowErr(i+2, err))
		}
	}
	return c, nil
}

// WriteItemsCSV writes c's items (sorted by code) as CSV.
func WriteItemsCSV(w io.Writer, c *Catalog) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(ItemColumns)
	for _, it := range c.Items() {
		_ = cw.Write([]string{it.Code, it.Name, it.NameEn, it.Unit, string(it.Basis), string(it.Proration),
			FormatFootprint(it.Footprint), it.StdCode})
	}
	cw.Flush()
	return cw.Error()
}

// WritePricesCSV writes c's price versions (sorted) as CSV.
func WritePricesCSV(w io.Writer, c *Catalog) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(PriceColumns)
	for _, p := range c.Prices() {
		_ = cw.Write([]string{p.Item, p.Vendor, p.Contract, strconv.FormatInt(p.UnitPrice, 10), p.From.String(), p.To.String()})
	}
	cw.Flush()
	return cw.Error()
}

// catalogJSON is the JSON form: {"items": [...], "prices": [...]}.
type catalogJSON struct {
	Items  []json.RawMessage `json:"items"`
	Prices []json.RawMessage `json:"prices"`
}

type itemJSON struct {
	Code      string           `json:"code"`
	Name      string           `json:"name"`
	NameEn    string           `json:"name_en"`
	Unit      string           `json:"unit"`
	Footprint map[string]int64 `json:"footprint"`
	Basis     string           `json:"basis"`
	Proration string           `json:"proration"`
	StdCode   string           `json:"std_code"`
}

type priceJSON struct {
	Item      string `json:"item"`
	Vendor    string `json:"vendor"`
	Contract  string `json:"contract"`
	UnitPrice int64  `json:"unit_price"`
	From      string `json:"from"`
	To        string `json:"to"`
}

// strictDecode decodes one JSON value into v, rejecting unknown fields and
// trailing data; a type error names its field.
func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fieldErr(ErrInvalid, te.Field, "", "wrong JSON type "+te.Value)
		}
		field := "json"
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			field = strings.Trim(f, `"`)
		}
		return fieldErr(ErrInvalid, field, "", err.Error())
	}
	if dec.More() {
		return fieldErr(ErrInvalid, "json", "", "trailing data")
	}
	return nil
}

// ImportCatalogJSON reads a catalog from JSON {"items": [...], "prices":
// [...]}, validated like ImportCatalogCSV; a *RowError's Row is the 1-based
// index in its array (wrapped with "items:" or "prices:").
func ImportCatalogJSON(r io.Reader) (*Catalog, error) {
	data, err := io.ReadAll(io.LimitReader(r, 256<<20))
	if err != nil {
		return nil, err
	}
	var doc catalogJSON
	if err := strictDecode(data, &doc); err != nil {
		return nil, &RowError{Row: 0, Field: errField(err), Err: err}
	}
	c := &Catalog{}
	for i, raw := range doc.Items {
		var ij itemJSON
		if err := strictDecode(raw, &ij); err != nil {
			return nil, fmt.Errorf("items: %w", rowErr(i+1, err))
		}
		var fp quota.Vector
		for k, a := range ij.Footprint {
			if fp == nil {
				fp = quota.Vector{}
			}
			fp[quota.Dimension(k)] = a
		}
		it := Item{Code: ij.Code, Name: ij.Name, NameEn: ij.NameEn, Unit: ij.Unit, Footprint: fp.Clone(),
			Basis: Basis(ij.Basis), Proration: Proration(ij.Proration), StdCode: ij.StdCode}
		if err := c.AddItem(it); err != nil {
			return nil, fmt.Errorf("items: %w", rowErr(i+1, err))
		}
	}
	for i, raw := range doc.Prices {
		var pj priceJSON
		if err := strictDecode(raw, &pj); err != nil {
			return nil, fmt.Errorf("prices: %w", rowErr(i+1, err))
		}
		p, err := priceFromStrings(pj.Item, pj.Vendor, pj.Contract, strconv.FormatInt(pj.UnitPrice, 10), pj.From, pj.To)
		if err == nil {
			err = c.AddPrice(p)
		}
		if err != nil {
			return nil, fmt.Errorf("prices: %w", rowErr(i+1, err))
		}
	}
	return c, nil
}

// WriteCatalogJSON writes c as indented JSON readable by ImportCatalogJSON.
func WriteCatalogJSON(w io.Writer, c *Catalog) error {
	var doc struct {
		Items  []itemJSON  `json:"items"`
		Prices []priceJSON `json:"prices"`
	}
	doc.Items, doc.Prices = []itemJSON{}, []priceJSON{}
	for _, it := range c.Items() {
		var fp map[string]int64
		for _, d := range it.Footprint.Dimensions() {
			if fp == nil {
				fp = map[string]int64{}
			}
			fp[string(d)] = it.Footprint[d]
		}
		doc.Items = append(doc.Items, itemJSON{Code: it.Code, Name: it.Name, NameEn: it.NameEn, Unit: it.Unit,
			Footprint: fp, Basis: string(it.Basis), Proration: string(it.Proration), StdCode: it.StdCode})
	}
	for _, p := range c.Prices() {
		doc.Prices = append(doc.Prices, priceJSON{Item: p.Item, Vendor: p.Vendor, Contract: p.Contract,
			UnitPrice: p.UnitPrice, From: p.From.String(), To: p.To.String()})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
