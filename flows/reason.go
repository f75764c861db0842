package flows

import (
	"slices"
	"strings"
)

// Reason is the code a conversation is handed to a person with. The set is
// closed: Reasons lists every code, and conversation tests (expect.handoff)
// name them.
type Reason string

// The handoff reasons.
const (
	ReasonCustomerRequest   Reason = "customer_request"    // the customer asked for a person
	ReasonNegativeSentiment Reason = "negative_sentiment"  // a turn below policy.sentiment_handoff_below after the acknowledgement
	ReasonWorsening         Reason = "sentiment_worsening" // sentiment fell turn after turn for policy.worsening_turns turns despite de-escalation
	ReasonNotCalmed         Reason = "not_calmed"          // failed attempts reached policy.max_attempts
	ReasonNotUnderstood     Reason = "not_understood"      // policy.max_unclear unclear replies in a row
	ReasonOutOfScope        Reason = "out_of_scope"        // no intent matched after policy.max_unclear tries
	ReasonHumanOnly         Reason = "human_only"          // an intent with handoff:
	ReasonOptionNeedsHuman  Reason = "option_needs_human"  // a choice with handoff:
	ReasonFlowHandoff       Reason = "flow_handoff"        // a handoff state or $handoff
)

// reasonTexts say each reason in words, for the agents (the desk and the
// handoff summary speak English).
var reasonTexts = map[Reason]string{
	ReasonCustomerRequest:   "the customer asked for a person",
	ReasonNegativeSentiment: "the customer is very upset",
	ReasonWorsening:         "the customer's mood got worse turn after turn despite de-escalation",
	ReasonNotCalmed:         "de-escalation attempts did not calm the customer",
	ReasonNotUnderstood:     "the bot did not understand the customer several times",
	ReasonOutOfScope:        "the request is outside what the bot covers",
	ReasonHumanOnly:         "this request is for people only",
	ReasonOptionNeedsHuman:  "the option the customer chose needs a person",
	ReasonFlowHandoff:       "the flow hands this case to a person",
}

// HandoffReasons lists every handoff reason, in the order the policy checks them.
var HandoffReasons = []Reason{
	ReasonCustomerRequest, ReasonNegativeSentiment, ReasonWorsening, ReasonNotCalmed,
	ReasonNotUnderstood, ReasonOutOfScope, ReasonHumanOnly, ReasonOptionNeedsHuman, ReasonFlowHandoff,
}

// Known reports whether r is one of HandoffReasons.
func (r Reason) Known() bool { return slices.Contains(HandoffReasons, r) }

// Text says r in words for an agent; an unknown code is returned as it is.
func (r Reason) Text() string {
	if s, ok := reasonTexts[r]; ok {
		return s
	}
	return string(r)
}

// reasonList lists HandoffReasons for messages: "a, b, c".
func reasonList() string {
	names := make([]string, len(HandoffReasons))
	for i, r := range HandoffReasons {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}
