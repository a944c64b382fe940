package pricing

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Row is one instance price, in the columns of shared/pricing's
// sagemaker-prices.csv, which are also the columns of the local cache.
type Row struct {
	Region       string    // region code, e.g. us-east-1
	RegionName   string    // the Price List "location", e.g. "US East (N. Virginia)"; may be empty
	InstanceType string    // e.g. ml.m5.xlarge
	Component    Component //
	USDPerHour   Money     //
	VCPU         int       // 0 when not given
	MemoryGiB    float64   // 0 when not given
	AsOf         string    // date of the price: YYYY-MM-DD, YYYY-MM, or an RFC 3339 time
	Source       string    // a source letter, or SourceRefresh
	Note         string    //
}

// StorageRow is one storage or data price, in the columns of
// shared/pricing's sagemaker-storage-data.csv.
type StorageRow struct {
	Region          string
	Item            string // e.g. ml-storage-notebook-instance, endpoint-data-processed-in
	UsageTypeSuffix string // e.g. Notebk:VolumeUsage.gp2
	Unit            string // GB-Mo or GB
	USD             Money
	AsOf            string
	Source          string
	Note            string
}

// PriceColumns are the columns of a price CSV, in order.
var PriceColumns = []string{"region", "region_name", "instance_type", "component", "usd_per_hour", "vcpu", "memory_gib", "as_of", "source", "note"}

// StorageColumns are the columns of a storage CSV, in order.
var StorageColumns = []string{"region", "item", "usage_type_suffix", "unit", "usd", "as_of", "source", "note"}

// csvFile reads a CSV with a header row into records addressed by column
// name. Lines starting with "#" are comments.
type csvFile struct {
	name string
	r    *csv.Reader
	cols map[string]int
}

func newCSVFile(name string, r io.Reader, required []string) (*csvFile, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: read header: %w", name, err)
	}
	f := &csvFile{name: name, r: cr, cols: map[string]int{}}
	for i, c := range head {
		f.cols[strings.TrimSpace(c)] = i
	}
	for _, c := range required {
		if _, ok := f.cols[c]; !ok {
			return nil, fmt.Errorf("%s: no column %q", name, c)
		}
	}
	return f, nil
}

// next returns the next record as a lookup function, or io.EOF.
func (f *csvFile) next() (get func(string) string, line int, err error) {
	rec, err := f.r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, 0, io.EOF
		}
		return nil, 0, fmt.Errorf("%s: %w", f.name, err)
	}
	line, _ = f.r.FieldPos(0)
	return func(c string) string {
		i, ok := f.cols[c]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}, line, nil
}

// each calls fn for every record and its line, until fn returns an error.
func (f *csvFile) each(fn func(get func(string) string, line int) error) error {
	for {
		get, line, err := f.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(get, line); err != nil {
			return err
		}
	}
}

// ReadRows reads a price CSV (name is used in errors). Columns are found by
// name; region_name, vcpu, memory_gib and note may be absent.
func ReadRows(name string, r io.Reader) ([]Row, error) {
	f, err := newCSVFile(name, r, []string{"region", "instance_type", "component", "usd_per_hour", "as_of", "source"})
	if err != nil {
		return nil, err
	}
	var out []Row
	err = f.each(func(get func(string) string, line int) error {
		row, err := parseRow(get)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
		out = append(out, row)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func parseRow(get func(string) string) (Row, error) {
	row := Row{
		Region:       get("region"),
		RegionName:   get("region_name"),
		InstanceType: get("instance_type"),
		AsOf:         get("as_of"),
		Source:       get("source"),
		Note:         get("note"),
	}
	if row.Region == "" || row.InstanceType == "" {
		return row, errors.New("empty region or instance_type")
	}
	var err error
	if row.Component, err = ParseComponent(get("component")); err != nil {
		return row, err
	}
	if row.USDPerHour, err = ParseMoney(get("usd_per_hour")); err != nil {
		return row, err
	}
	if row.USDPerHour.Sign() < 0 {
		return row, fmt.Errorf("negative price %s", row.USDPerHour.Plain())
	}
	if v := get("vcpu"); v != "" {
		if row.VCPU, err = strconv.Atoi(v); err != nil {
			return row, fmt.Errorf("vcpu %q: %w", v, err)
		}
	}
	if v := get("memory_gib"); v != "" {
		if row.MemoryGiB, err = strconv.ParseFloat(v, 64); err != nil {
			return row, fmt.Errorf("memory_gib %q: %w", v, err)
		}
	}
	return row, nil
}

// ReadStorageRows reads a storage CSV (name is used in errors).
func ReadStorageRows(name string, r io.Reader) ([]StorageRow, error) {
	f, err := newCSVFile(name, r, []string{"region", "item", "usd", "as_of", "source"})
	if err != nil {
		return nil, err
	}
	var out []StorageRow
	err = f.each(func(get func(string) string, line int) error {
		row := StorageRow{
			Region: get("region"), Item: get("item"), UsageTypeSuffix: get("usage_type_suffix"),
			Unit: get("unit"), AsOf: get("as_of"), Source: get("source"), Note: get("note"),
		}
		var err error
		if row.USD, err = ParseMoney(get("usd")); err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if row.Region == "" || row.Item == "" {
			return fmt.Errorf("%s:%d: empty region or item", name, line)
		}
		out = append(out, row)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// WriteRows writes rows as a price CSV with PriceColumns, sorted by region,
// instance type and component so that the file is stable.
func WriteRows(w io.Writer, rows []Row) error {
	rows = slices.Clone(rows)
	slices.SortFunc(rows, compareRows)
	cw := csv.NewWriter(w)
	if err := cw.Write(PriceColumns); err != nil {
		return err
	}
	for _, r := range rows {
		vcpu, mem := "", ""
		if r.VCPU > 0 {
			vcpu = strconv.Itoa(r.VCPU)
		}
		if r.MemoryGiB > 0 {
			mem = strconv.FormatFloat(r.MemoryGiB, 'f', -1, 64)
		}
		if err := cw.Write([]string{r.Region, r.RegionName, r.InstanceType, string(r.Component),
			r.USDPerHour.Plain(), vcpu, mem, r.AsOf, r.Source, r.Note}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteStorageRows writes rows as a storage CSV with StorageColumns, sorted.
func WriteStorageRows(w io.Writer, rows []StorageRow) error {
	rows = slices.Clone(rows)
	slices.SortFunc(rows, func(a, b StorageRow) int {
		return compareStrings([]string{a.Region, a.Item, a.Source}, []string{b.Region, b.Item, b.Source})
	})
	cw := csv.NewWriter(w)
	if err := cw.Write(StorageColumns); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write([]string{r.Region, r.Item, r.UsageTypeSuffix, r.Unit, r.USD.Plain(), r.AsOf, r.Source, r.Note}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func compareRows(a, b Row) int {
	return compareStrings([]string{a.Region, a.InstanceType, string(a.Component), a.Source},
		[]string{b.Region, b.InstanceType, string(b.Component), b.Source})
}

func compareStrings(a, b []string) int {
	for i := range a {
		if c := strings.Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return 0
}
