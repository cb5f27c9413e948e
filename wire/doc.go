// Package wire is the one home of kubectl-netstat's record wire format: the
// JSON records of --output json|ndjson, the NDJSON stream an agent pod
// prints and the client reads back, and the streaming JSON array writer.
// Encode (WriteJSON, WriteNDJSON, Array, LineWriter) and decode (SplitLog
// for the pod log, then Reader/DecodeFrame, and DecodeAudit) sit side by
// side so that a change to one is seen next to the other; wire_test.go
// round-trips every record type.
//
// It is a top-level package, not part of inspect or output, because both
// ends use it: the agent (output builds the records from inspect's model,
// pkg/cmd writes them) and the client (kube splits the agent pod's log,
// pkg/cmd decodes the frames, audit/report turns audit records back into
// listeners). It depends on inspect's model types only (a record embeds
// inspect.Route4, inspect.Pod …) and never on output, audit or kube.
//
// The JSON field names are a contract for scripts (README "Examples", JSON
// for scripts): renaming one breaks them. Golden tests in output,
// audit/report and pkg/cmd pin the bytes.
package wire
