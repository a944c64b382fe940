// Package iampolicy generates sagesaver's IAM policy documents from the
// operations declared in internal/awsapi (awsapi.Operations), one per
// flavour, and checks them against AWS's IAM reference data (iamdata).
// Nothing here is written by hand: a new AWS call is a new declaration,
// and every policy and template follows.
package iampolicy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/iampolicy/iamdata"
)

// ProtectTag is the tag that keeps sagesaver's hands off a resource: the
// act flavour denies every acting action on a resource tagged
// sagesaver:protect=true, whatever the run configuration says.
const (
	ProtectTagKey   = "sagesaver:protect"
	ProtectTagValue = "true"
)

// Document is an IAM policy document. Resource and condition values are
// `any` so that a CloudFormation template can put intrinsic functions in
// them.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a Document.
type Statement struct {
	Sid       string                    `json:"Sid,omitempty"`
	Effect    string                    `json:"Effect"`
	Action    []string                  `json:"Action"`
	Resource  any                       `json:"Resource"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// Resources scopes a flavour's statements by IAM service prefix
// ("dynamodb" -> the table's ARN); a service not named gets "*" (most of
// SageMaker's List actions support no resource scoping at all).
type Resources map[string]any

// Generate returns the policy of flavour f.
//
// read-only and act grant their actions on "*" in one statement; act adds
// an explicit Deny of every acting action on resources tagged
// sagesaver:protect=true. hub grants one statement per service, each
// scoped by res.
func Generate(f awsapi.Flavour, res Resources) Document {
	doc := Document{Version: "2012-10-17"}
	if f.Name != "hub" {
		doc.Statement = append(doc.Statement, Statement{Sid: sid(f.Name), Effect: "Allow", Action: f.Actions(), Resource: "*"})
		if acts := f.ActOnly(); slices.Contains(f.Accesses, awsapi.Act) && len(acts) > 0 {
			doc.Statement = append(doc.Statement, Statement{
				Sid: "DenyProtected", Effect: "Deny", Action: acts, Resource: "*",
				Condition: map[string]map[string]any{"StringEquals": {"aws:ResourceTag/" + ProtectTagKey: ProtectTagValue}},
			})
		}
		return doc
	}
	bySvc := map[string][]string{}
	var order []string
	for _, a := range f.Actions() {
		svc, _, _ := strings.Cut(a, ":")
		if _, ok := bySvc[svc]; !ok {
			order = append(order, svc)
		}
		bySvc[svc] = append(bySvc[svc], a)
	}
	for _, svc := range order {
		var r any = "*"
		if v, ok := res[svc]; ok {
			r = v
		}
		doc.Statement = append(doc.Statement, Statement{Sid: sid("hub-" + svc), Effect: "Allow", Action: bySvc[svc], Resource: r})
	}
	return doc
}

// sid turns "read-only" into "ReadOnly".
func sid(name string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// Actions returns every action a document allows or denies, sorted.
func (d Document) Actions(effect string) []string {
	var out []string
	for _, s := range d.Statement {
		if s.Effect == effect {
			out = append(out, s.Action...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Check reports the first way doc breaks sagesaver's rules: an action
// with a wildcard, an action AWS's IAM reference data does not have, and,
// when readOnly, an allowed action of an access level other than List or
// Read.
func Check(doc Document, data *iamdata.Data, readOnly bool) error {
	for i, s := range doc.Statement {
		if len(s.Action) == 0 {
			return fmt.Errorf("statement %d (%s): no action", i, s.Sid)
		}
		for _, a := range s.Action {
			if strings.ContainsAny(a, "*?") {
				return fmt.Errorf("statement %d (%s): wildcard action %q", i, s.Sid, a)
			}
			level, ok := data.AccessLevel(a)
			if !ok {
				return fmt.Errorf("statement %d (%s): %s is not in AWS's IAM reference data (%s %s)", i, s.Sid, a, data.Package, data.Version)
			}
			if readOnly && s.Effect == "Allow" && level != "List" && level != "Read" {
				return fmt.Errorf("statement %d (%s): %s has access level %q, not allowed in a read-only policy", i, s.Sid, a, level)
			}
		}
	}
	return nil
}
