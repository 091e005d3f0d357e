package ingest

// TODO: stub, replaced by the real format.
func ucdpDECOFormat() Format { return Format{Name: "ucdp_deco"} }
