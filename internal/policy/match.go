package policy

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/sagesaver/sagesaver/internal/resource"
)

// gpuSeries are the instance series with NVIDIA GPUs (ml.p3, ml.p4d,
// ml.p5, ml.g4dn, ml.g5, ml.g6, ml.gr6 ...). Inferentia and Trainium
// (inf, trn) are accelerators but not GPUs; name them explicitly.
var gpuSeries = map[string]bool{"p": true, "g": true, "gr": true}

// tagCond is "key" or "key=value".
type tagCond struct {
	key, value string
	any        bool
}

func parseTagCond(s string) (tagCond, error) {
	k, v, hasValue := strings.Cut(s, "=")
	k = strings.TrimSpace(k)
	if k == "" {
		return tagCond{}, fmt.Errorf("empty tag key in %q", s)
	}
	return tagCond{key: k, value: v, any: !hasValue}, nil
}

func (c tagCond) matches(tags map[string]string) bool {
	v, ok := tags[c.key]
	return ok && (c.any || v == c.value)
}

type matcher struct {
	m       Match
	re      *regexp.Regexp
	tags    []tagCond
	exTags  []tagCond
	exNames []string
}

func compile(at string, m Match, ex Exclude) (*matcher, error) {
	mc := &matcher{m: m, exNames: ex.Names}
	if m.NameGlob != "" {
		if err := validGlob(m.NameGlob); err != nil {
			return nil, ferr(at+".match.nameGlob", "bad glob %q: %v", m.NameGlob, err)
		}
	}
	if m.NamePattern != "" {
		re, err := regexp.Compile(m.NamePattern)
		if err != nil {
			return nil, ferr(at+".match.namePattern", "bad regular expression: %v", err)
		}
		mc.re = re
	}
	for i, s := range m.Tags {
		c, err := parseTagCond(s)
		if err != nil {
			return nil, ferr(fmt.Sprintf("%s.match.tags[%d]", at, i), "%v", err)
		}
		mc.tags = append(mc.tags, c)
	}
	for i, s := range m.InstanceFamily {
		if strings.TrimSpace(s) == "" || (strings.ContainsAny(s, "*?[") && validGlob(s) != nil) {
			return nil, ferr(fmt.Sprintf("%s.match.instanceFamily[%d]", at, i), "bad instance family %q", s)
		}
	}
	for i, s := range ex.Names {
		if err := validGlob(s); err != nil {
			return nil, ferr(fmt.Sprintf("%s.exclude.names[%d]", at, i), "bad glob %q: %v", s, err)
		}
	}
	for i, s := range ex.Tags {
		c, err := parseTagCond(s)
		if err != nil {
			return nil, ferr(fmt.Sprintf("%s.exclude.tags[%d]", at, i), "%v", err)
		}
		mc.exTags = append(mc.exTags, c)
	}
	return mc, nil
}

// selects reports whether the subject (all resources of one endpoint, or
// one resource) is selected by the match. Name, tags, account and region
// are the subject's; the instance family matches if any resource's does.
func (mc *matcher) selects(rs []resource.Resource) bool {
	r := rs[0]
	m := mc.m
	if m.NamePrefix != "" && !strings.HasPrefix(r.Name, m.NamePrefix) {
		return false
	}
	if m.NameGlob != "" {
		if ok, _ := path.Match(m.NameGlob, r.Name); !ok {
			return false
		}
	}
	if mc.re != nil && !mc.re.MatchString(r.Name) {
		return false
	}
	for _, c := range mc.tags {
		if !c.matches(r.Tags) {
			return false
		}
	}
	if len(m.Accounts) > 0 && !contains(m.Accounts, r.Account) {
		return false
	}
	if len(m.Regions) > 0 && !contains(m.Regions, r.Region) {
		return false
	}
	if len(m.InstanceFamily) > 0 {
		any := false
		for _, x := range rs {
			for _, f := range m.InstanceFamily {
				any = any || FamilyMatches(f, x.InstanceType)
			}
		}
		if !any {
			return false
		}
	}
	return true
}

// excluded returns why the rule's exclusions remove the subject, or "".
func (mc *matcher) excluded(r resource.Resource) string {
	for _, g := range mc.exNames {
		if ok, _ := path.Match(g, r.Name); ok {
			return "excluded by name " + g
		}
	}
	for _, c := range mc.exTags {
		if c.matches(r.Tags) {
			if c.any {
				return "excluded by tag " + c.key
			}
			return "excluded by tag " + c.key + "=" + c.value
		}
	}
	return ""
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// FamilyMatches reports whether an instance type ("ml.g5.xlarge") matches
// a family selector: "gpu", a series ("p", "g", "inf"), a family ("g5",
// "p4d", "ml.g5") or a glob on the type ("ml.m5.*"). An empty instance
// type (serverless) matches nothing.
func FamilyMatches(selector, instanceType string) bool {
	if instanceType == "" {
		return false
	}
	sel := strings.ToLower(strings.TrimSpace(selector))
	if strings.ContainsAny(sel, "*?[") {
		ok, _ := path.Match(sel, instanceType)
		return ok
	}
	family := instanceFamily(instanceType)
	series := strings.TrimRightFunc(family, func(r rune) bool { return r >= 'a' && r <= 'z' })
	series = strings.TrimRightFunc(series, func(r rune) bool { return r >= '0' && r <= '9' })
	switch {
	case sel == "gpu":
		return gpuSeries[series]
	case strings.TrimPrefix(sel, "ml.") == family:
		return true
	case !strings.ContainsAny(sel, "0123456789."):
		return sel == series
	}
	return false
}

// instanceFamily returns "g5" for "ml.g5.xlarge", "p4d" for
// "ml.p4d.24xlarge".
func instanceFamily(t string) string {
	parts := strings.Split(strings.ToLower(t), ".")
	if len(parts) >= 3 {
		return parts[1]
	}
	if len(parts) == 2 {
		return parts[0]
	}
	return ""
}
