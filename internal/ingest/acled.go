package ingest

// TODO: stub, replaced by the real format.
func acledFormat() Format { return Format{Name: "acled"} }
