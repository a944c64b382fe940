package emulator

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagesaver/sagesaver/internal/emulator/wire"
)

// SageMaker Search. Each resource type that Search serves is a searchType:
// a source of records (searchDoc) and a schema of their properties. A
// record answers property lookups by the names AWS documents for Search
// ("EndpointName", "Tags.team", "ProductionVariants.CurrentInstanceCount")
// and builds its own SearchRecord. To add a resource type, write its
// searchType next to its resources and list it in searchTypes.

// searchTypes are the resource types Search serves.
func searchTypes() map[smtypes.ResourceType]searchType {
	return map[smtypes.ResourceType]searchType{
		smtypes.ResourceTypeEndpoint: endpointSearch(),
		// sagemaker_jobs_search.go
		smtypes.ResourceTypeTrainingJob:             trainingJobSearch(),
		smtypes.ResourceTypeHyperParameterTuningJob: tuningJobSearch(),
	}
}

func sageMakerSearchOps() map[string]handler {
	return map[string]handler{"Search": op(search)}
}

// valueKind is the type of a property, which decides how a filter's Value
// is read and which operators apply.
type valueKind int

const (
	kindText valueKind = iota
	kindNumber
	kindTime
	kindBool
	kindList // a list of structures: only NestedFilters may name it
)

// searchValue is one value of a property.
type searchValue struct {
	s string
	n float64
	t time.Time
	b bool
}

func textValue(dst []searchValue, s string) []searchValue { return append(dst, searchValue{s: s}) }
func numberValue(dst []searchValue, n float64) []searchValue {
	return append(dst, searchValue{n: n})
}
func timeValue(dst []searchValue, t time.Time) []searchValue { return append(dst, searchValue{t: t}) }
func boolValue(dst []searchValue, b bool) []searchValue      { return append(dst, searchValue{b: b}) }

// searchDoc is one record as Search sees it.
type searchDoc interface {
	// id orders records with equal sort keys, so pages are stable.
	id() string
	// prop appends the values of a property to dst: none when it is
	// absent, one per element for a property inside a list
	// ("ProductionVariants.X"). Appending lets filters reuse one buffer.
	prop(dst []searchValue, name string) []searchValue
	// nested returns one doc per element of a list property, each
	// answering the list's own property names, for NestedFilters.
	nested(name string) []searchDoc
	// record is the SearchRecord AWS returns for the resource.
	record() smtypes.SearchRecord
}

// searchType is one resource type that Search serves.
type searchType struct {
	// docs lists the type's records in the call's region, settled.
	docs func(c *Call) []searchDoc
	// kind returns a property's type; false for a property the type does
	// not have.
	kind func(name string) (valueKind, bool)
}

// maxSearchResults is Search's page limit; defaultSearchResults is the
// page size when MaxResults is not given.
const (
	maxSearchResults     = 100
	defaultSearchResults = 10
	maxSearchTerms       = 50
)

// matcher is a compiled SearchExpression node.
type matcher func(d searchDoc) bool

type compiler struct {
	st       searchType
	terms    int
	contains int
}

func search(c *Call, in *sagemaker.SearchInput) (*sagemaker.SearchOutput, error) {
	if e := required("Resource", in.Resource != ""); e != nil {
		return nil, e
	}
	st, ok := searchTypes()[in.Resource]
	if !ok {
		return nil, validation("The resource type %s is not supported by Search in this emulator (supported: %s).", in.Resource, supportedSearchTypes())
	}
	n := defaultSearchResults
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > maxSearchResults {
			return nil, validation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to %d", *in.MaxResults, maxSearchResults)
		}
		n = int(*in.MaxResults)
	}
	off, err := parsePageToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	match := matcher(func(searchDoc) bool { return true })
	if in.SearchExpression != nil {
		comp := &compiler{st: st}
		if match, err = comp.expression(in.SearchExpression); err != nil {
			return nil, err
		}
	}
	sortBy := aws.ToString(in.SortBy)
	if sortBy == "" {
		sortBy = "LastModifiedTime"
	}
	kind, known := st.kind(sortBy)
	if !known || kind == kindList || isListProperty(sortBy, st) {
		return nil, validation("Invalid SortBy: %s is not a sortable property of %s.", sortBy, in.Resource)
	}
	desc := in.SortOrder != smtypes.SearchSortOrderAscending

	type hit struct {
		d   searchDoc
		key []searchValue
		id  string
	}
	var hits []hit
	for _, d := range st.docs(c) {
		if match(d) {
			hits = append(hits, hit{d: d, key: d.prop(nil, sortBy), id: d.id()})
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		a, b := hits[i], hits[j]
		// Records without the property sort last either way.
		if (len(a.key) == 0) != (len(b.key) == 0) {
			return len(a.key) != 0
		}
		if len(a.key) > 0 {
			if c := compareValues(kind, a.key[0], b.key[0]); c != 0 {
				return (c < 0) != desc
			}
		}
		return (a.id < b.id) != desc
	})

	out := &sagemaker.SearchOutput{
		Results:   []smtypes.SearchRecord{},
		TotalHits: &smtypes.TotalHits{Value: aws.Int64(int64(len(hits))), Relation: smtypes.RelationEqualTo},
	}
	if off > len(hits) {
		off = len(hits)
	}
	end := min(off+n, len(hits))
	for _, h := range hits[off:end] {
		out.Results = append(out.Results, h.d.record())
	}
	if end < len(hits) {
		out.NextToken = aws.String(pageToken(end))
	}
	return out, nil
}

func supportedSearchTypes() string {
	var names []string
	for t := range searchTypes() {
		names = append(names, string(t))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// isListProperty reports whether name lies inside a list property (such
// values cannot be sorted on).
func isListProperty(name string, st searchType) bool {
	for i := strings.IndexByte(name, '.'); i > 0; {
		if k, ok := st.kind(name[:i]); ok && k == kindList {
			return true
		}
		j := strings.IndexByte(name[i+1:], '.')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

func (cp *compiler) count() *wire.Error {
	cp.terms++
	if cp.terms > maxSearchTerms {
		return validation("The maximum number of recursive SubExpressions, NestedFilters, and Filters in a SearchExpression is %d.", maxSearchTerms)
	}
	return nil
}

func (cp *compiler) expression(x *smtypes.SearchExpression) (matcher, error) {
	if len(x.Filters) == 0 && len(x.NestedFilters) == 0 && len(x.SubExpressions) == 0 {
		return nil, validation("A SearchExpression must contain at least one Filter, NestedFilter or SubExpression.")
	}
	var parts []matcher
	for _, f := range x.Filters {
		m, err := cp.filter(f, "")
		if err != nil {
			return nil, err
		}
		parts = append(parts, m)
	}
	for _, nf := range x.NestedFilters {
		m, err := cp.nested(nf)
		if err != nil {
			return nil, err
		}
		parts = append(parts, m)
	}
	for i := range x.SubExpressions {
		if e := cp.count(); e != nil {
			return nil, e
		}
		m, err := cp.expression(&x.SubExpressions[i])
		if err != nil {
			return nil, err
		}
		parts = append(parts, m)
	}
	if x.Operator == smtypes.BooleanOperatorOr {
		return func(d searchDoc) bool {
			for _, m := range parts {
				if m(d) {
					return true
				}
			}
			return false
		}, nil
	}
	return func(d searchDoc) bool {
		for _, m := range parts {
			if !m(d) {
				return false
			}
		}
		return true
	}, nil
}

// nested matches when one element of the list satisfies all the filters.
func (cp *compiler) nested(nf smtypes.NestedFilters) (matcher, error) {
	if e := cp.count(); e != nil {
		return nil, e
	}
	if e := required("NestedPropertyName", nf.NestedPropertyName != nil); e != nil {
		return nil, e
	}
	list := *nf.NestedPropertyName
	if k, ok := cp.st.kind(list); !ok || k != kindList {
		return nil, validation("Invalid NestedPropertyName: %s is not a list property.", list)
	}
	if len(nf.Filters) == 0 {
		return nil, validation("1 validation error detected: Value '[]' at 'searchExpression.nestedFilters.1.member.filters' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	var fs []matcher
	for _, f := range nf.Filters {
		m, err := cp.filter(f, list+".")
		if err != nil {
			return nil, err
		}
		fs = append(fs, m)
	}
	return func(d searchDoc) bool {
		for _, el := range d.nested(list) {
			all := true
			for _, m := range fs {
				if !m(el) {
					all = false
					break
				}
			}
			if all {
				return true
			}
		}
		return false
	}, nil
}

// filter compiles one Filter; prefix, inside NestedFilters, is the list
// property that the filter's Name must lie in.
func (cp *compiler) filter(f smtypes.Filter, prefix string) (matcher, error) {
	if e := cp.count(); e != nil {
		return nil, e
	}
	if e := required("Name", f.Name != nil); e != nil {
		return nil, e
	}
	name := *f.Name
	if prefix != "" && !strings.HasPrefix(name, prefix) {
		return nil, validation("Invalid filter %s: a nested filter's property must be within %s.", name, strings.TrimSuffix(prefix, "."))
	}
	kind, ok := cp.st.kind(name)
	if !ok || kind == kindList {
		return nil, validation("Invalid property name: %s.", name)
	}
	op := f.Operator
	if op == "" {
		op = smtypes.OperatorEquals
	}
	switch op {
	case smtypes.OperatorExists:
		var buf []searchValue
		return func(d searchDoc) bool { buf = d.prop(buf[:0], name); return len(buf) > 0 }, nil
	case smtypes.OperatorNotExists:
		var buf []searchValue
		return func(d searchDoc) bool { buf = d.prop(buf[:0], name); return len(buf) == 0 }, nil
	}
	if f.Value == nil {
		return nil, validation("A value is required for the %s operator (filter on %s).", op, name)
	}
	raw := *f.Value
	switch op {
	case smtypes.OperatorContains:
		if kind != kindText {
			return nil, validation("The Contains operator is only supported for text properties; %s is not text.", name)
		}
		cp.contains++
		if cp.contains > 1 {
			return nil, validation("'CONTAINS' operator usage limit of 1 exceeded.")
		}
		return anyValue(name, func(v searchValue) bool { return strings.Contains(v.s, raw) }), nil
	case smtypes.OperatorIn:
		if kind != kindText {
			return nil, validation("The In operator is only supported for text properties; %s is not text.", name)
		}
		set := map[string]bool{}
		for _, s := range strings.Split(raw, ",") {
			set[strings.TrimSpace(s)] = true
		}
		return anyValue(name, func(v searchValue) bool { return set[v.s] }), nil
	}
	want, err := parseValue(kind, name, raw)
	if err != nil {
		return nil, err
	}
	switch op {
	case smtypes.OperatorEquals:
		return anyValue(name, func(v searchValue) bool { return compareValues(kind, v, want) == 0 }), nil
	case smtypes.OperatorNotEquals:
		eq := anyValue(name, func(v searchValue) bool { return compareValues(kind, v, want) == 0 })
		return func(d searchDoc) bool { return !eq(d) }, nil
	}
	if kind == kindText || kind == kindBool {
		return nil, validation("The %s operator is not supported for property %s.", op, name)
	}
	var test func(c int) bool
	switch op {
	case smtypes.OperatorGreaterThan:
		test = func(c int) bool { return c > 0 }
	case smtypes.OperatorGreaterThanOrEqualTo:
		test = func(c int) bool { return c >= 0 }
	case smtypes.OperatorLessThan:
		test = func(c int) bool { return c < 0 }
	case smtypes.OperatorLessThanOrEqualTo:
		test = func(c int) bool { return c <= 0 }
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'searchExpression.filters.1.member.operator' failed to satisfy constraint: Member must satisfy enum value set: [Equals, NotEquals, GreaterThan, GreaterThanOrEqualTo, LessThan, LessThanOrEqualTo, Contains, Exists, NotExists, In]", op)
	}
	return anyValue(name, func(v searchValue) bool { return test(compareValues(kind, v, want)) }), nil
}

// anyValue matches when a value of the property satisfies pred. Search runs
// under the server's lock, so the matcher's buffer is never shared.
func anyValue(name string, pred func(searchValue) bool) matcher {
	var buf []searchValue
	return func(d searchDoc) bool {
		buf = d.prop(buf[:0], name)
		for _, v := range buf {
			if pred(v) {
				return true
			}
		}
		return false
	}
}

// searchTimeLayouts are the timestamp forms a filter Value may take; AWS
// documents YYYY-mm-dd'T'HH:MM:SS.
var searchTimeLayouts = []string{"2006-01-02T15:04:05", time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02"}

func parseValue(kind valueKind, name, raw string) (searchValue, error) {
	switch kind {
	case kindNumber:
		n, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
		if err != nil {
			return searchValue{}, validation("Invalid value %q for numeric property %s.", raw, name)
		}
		return searchValue{n: n}, nil
	case kindTime:
		for _, layout := range searchTimeLayouts {
			if t, err := time.Parse(layout, raw); err == nil {
				return searchValue{t: t.UTC()}, nil
			}
		}
		if secs, err := strconv.ParseFloat(raw, 64); err == nil {
			return searchValue{t: time.Unix(0, int64(secs*1e9)).UTC()}, nil
		}
		return searchValue{}, validation("Invalid value %q for timestamp property %s: use YYYY-mm-ddTHH:MM:SS.", raw, name)
	case kindBool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return searchValue{}, validation("Invalid value %q for boolean property %s.", raw, name)
		}
		return searchValue{b: b}, nil
	}
	return searchValue{s: raw}, nil
}

func compareValues(kind valueKind, a, b searchValue) int {
	switch kind {
	case kindNumber:
		switch {
		case a.n < b.n:
			return -1
		case a.n > b.n:
			return 1
		}
		return 0
	case kindTime:
		return a.t.Compare(b.t)
	case kindBool:
		switch {
		case a.b == b.b:
			return 0
		case !a.b:
			return -1
		}
		return 1
	}
	return strings.Compare(a.s, b.s)
}

// --- Endpoint ---

// endpointProps are the Endpoint record's scalar properties.
var endpointProps = map[string]valueKind{
	"EndpointName":                                kindText,
	"EndpointArn":                                 kindText,
	"EndpointConfigName":                          kindText,
	"EndpointStatus":                              kindText,
	"FailureReason":                               kindText,
	"CreationTime":                                kindTime,
	"LastModifiedTime":                            kindTime,
	"ProductionVariants":                          kindList,
	"ShadowProductionVariants":                    kindList,
	"DataCaptureConfig.EnableCapture":             kindBool,
	"DataCaptureConfig.CaptureStatus":             kindText,
	"DataCaptureConfig.CurrentSamplingPercentage": kindNumber,
	"DataCaptureConfig.DestinationS3Uri":          kindText,
}

// variantProps are the properties of a ProductionVariantSummary.
var variantProps = map[string]valueKind{
	"VariantName":                            kindText,
	"CurrentInstanceCount":                   kindNumber,
	"DesiredInstanceCount":                   kindNumber,
	"CurrentWeight":                          kindNumber,
	"DesiredWeight":                          kindNumber,
	"DeployedImages":                         kindList,
	"DeployedImages.SpecifiedImage":          kindText,
	"DeployedImages.ResolvedImage":           kindText,
	"DeployedImages.ResolutionTime":          kindTime,
	"CurrentServerlessConfig.MemorySizeInMB": kindNumber,
	"CurrentServerlessConfig.MaxConcurrency": kindNumber,
	"DesiredServerlessConfig.MemorySizeInMB": kindNumber,
	"DesiredServerlessConfig.MaxConcurrency": kindNumber,
}

var variantLists = []string{"ProductionVariants.", "ShadowProductionVariants."}

func endpointSearch() searchType {
	return searchType{
		docs: func(c *Call) []searchDoc {
			st := c.Region.SageMaker
			st.settle(c.Now)
			docs := make([]endpointDoc, 0, len(st.endpoints))
			out := make([]searchDoc, 0, len(st.endpoints))
			for _, e := range st.endpoints {
				docs = append(docs, endpointDoc{e: e, tags: st.tags[e.arn]})
				out = append(out, &docs[len(docs)-1])
			}
			return out
		},
		kind: func(name string) (valueKind, bool) {
			if k, ok := endpointProps[name]; ok {
				return k, true
			}
			if key, ok := strings.CutPrefix(name, "Tags."); ok && key != "" {
				return kindText, true
			}
			for _, l := range variantLists {
				if sub, ok := strings.CutPrefix(name, l); ok {
					k, ok := variantProps[sub]
					return k, ok
				}
			}
			return 0, false
		},
	}
}

// endpointDoc is an endpoint as a Search record.
type endpointDoc struct {
	e    *endpoint
	tags []smtypes.Tag
}

func (d *endpointDoc) id() string { return d.e.name }

func (d *endpointDoc) prop(dst []searchValue, name string) []searchValue {
	e := d.e
	switch name {
	case "EndpointName":
		return textValue(dst, e.name)
	case "EndpointArn":
		return textValue(dst, e.arn)
	case "EndpointConfigName":
		return textValue(dst, e.config)
	case "EndpointStatus":
		return textValue(dst, e.status)
	case "FailureReason":
		if e.failureReason == "" {
			return dst
		}
		return textValue(dst, e.failureReason)
	case "CreationTime":
		return timeValue(dst, e.created)
	case "LastModifiedTime":
		return timeValue(dst, e.lastMo)
	}
	if key, ok := strings.CutPrefix(name, "Tags."); ok {
		for _, t := range d.tags {
			if aws.ToString(t.Key) == key {
				return textValue(dst, aws.ToString(t.Value))
			}
		}
		return dst
	}
	if sub, ok := strings.CutPrefix(name, "DataCaptureConfig."); ok {
		dc := dataCaptureSummary(e.dataCapture)
		if dc == nil {
			return dst
		}
		switch sub {
		case "EnableCapture":
			return boolValue(dst, aws.ToBool(dc.EnableCapture))
		case "CaptureStatus":
			return textValue(dst, string(dc.CaptureStatus))
		case "CurrentSamplingPercentage":
			return numberValue(dst, float64(aws.ToInt32(dc.CurrentSamplingPercentage)))
		case "DestinationS3Uri":
			return textValue(dst, aws.ToString(dc.DestinationS3Uri))
		}
		return dst
	}
	for i, l := range variantLists {
		if sub, ok := strings.CutPrefix(name, l); ok {
			vs := e.variants
			if i == 1 {
				vs = e.shadow
			}
			for _, v := range vs {
				dst = variantProp(dst, v, sub)
			}
			return dst
		}
	}
	return dst
}

func (d *endpointDoc) nested(name string) []searchDoc {
	var vs []*variant
	switch name {
	case "ProductionVariants":
		vs = d.e.variants
	case "ShadowProductionVariants":
		vs = d.e.shadow
	default:
		return nil
	}
	out := make([]searchDoc, 0, len(vs))
	for _, v := range vs {
		out = append(out, &variantDoc{prefix: name + ".", v: v, parent: d})
	}
	return out
}

func (d *endpointDoc) record() smtypes.SearchRecord {
	e := d.e
	ep := &smtypes.Endpoint{
		EndpointName:             aws.String(e.name),
		EndpointArn:              aws.String(e.arn),
		EndpointConfigName:       aws.String(e.config),
		EndpointStatus:           smtypes.EndpointStatus(e.status),
		CreationTime:             aws.Time(e.created),
		LastModifiedTime:         aws.Time(e.lastMo),
		ProductionVariants:       summaries(e.variants),
		ShadowProductionVariants: summaries(e.shadow),
		DataCaptureConfig:        dataCaptureSummary(e.dataCapture),
		MonitoringSchedules:      []smtypes.MonitoringSchedule{},
		Tags:                     append([]smtypes.Tag{}, d.tags...),
	}
	if e.failureReason != "" {
		ep.FailureReason = aws.String(e.failureReason)
	}
	return smtypes.SearchRecord{Endpoint: ep}
}

func variantProp(dst []searchValue, v *variant, sub string) []searchValue {
	switch sub {
	case "VariantName":
		return textValue(dst, v.name)
	case "CurrentInstanceCount":
		if v.serverless != nil {
			return dst
		}
		return numberValue(dst, float64(v.current))
	case "DesiredInstanceCount":
		if v.serverless != nil {
			return dst
		}
		return numberValue(dst, float64(v.desired))
	case "CurrentWeight":
		return numberValue(dst, float64(v.currentWeight))
	case "DesiredWeight":
		return numberValue(dst, float64(v.desiredWeight))
	case "DeployedImages.SpecifiedImage", "DeployedImages.ResolvedImage", "DeployedImages.ResolutionTime":
		for _, img := range v.images {
			switch sub {
			case "DeployedImages.SpecifiedImage":
				dst = append(dst, searchValue{s: img})
			case "DeployedImages.ResolvedImage":
				dst = append(dst, searchValue{s: resolveImage(img)})
			default:
				dst = append(dst, searchValue{t: v.resolvedAt})
			}
		}
		return dst
	case "CurrentServerlessConfig.MemorySizeInMB", "DesiredServerlessConfig.MemorySizeInMB":
		if v.serverless == nil {
			return dst
		}
		return numberValue(dst, float64(aws.ToInt32(v.serverless.MemorySizeInMB)))
	case "CurrentServerlessConfig.MaxConcurrency", "DesiredServerlessConfig.MaxConcurrency":
		if v.serverless == nil {
			return dst
		}
		return numberValue(dst, float64(aws.ToInt32(v.serverless.MaxConcurrency)))
	}
	return dst
}

// variantDoc is one variant of an endpoint, for NestedFilters.
type variantDoc struct {
	prefix string
	v      *variant
	parent *endpointDoc
}

func (d *variantDoc) id() string { return d.parent.id() + "/" + d.v.name }

func (d *variantDoc) prop(dst []searchValue, name string) []searchValue {
	sub, ok := strings.CutPrefix(name, d.prefix)
	if !ok {
		return dst
	}
	return variantProp(dst, d.v, sub)
}

func (d *variantDoc) nested(string) []searchDoc { return nil }

func (d *variantDoc) record() smtypes.SearchRecord { return d.parent.record() }
