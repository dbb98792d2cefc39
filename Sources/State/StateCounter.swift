/// The record counters a state file keeps, added to in each batch's transaction.
public enum StateCounter: String, CaseIterable, Sendable {
    case recordsRead = "records_read"
    case recordsApplied = "records_applied"
    case recordsUnchanged = "records_unchanged"
    case recordsRejected = "records_rejected"
}

/// Which stage refused a record (stored in quarantine, sent as the dead letter's stage).
public enum RefusalStage: String, Sendable, Hashable {
    /// Not a record: headers, key, or value that is not a JSON object of strings.
    case decode
    /// A record that staging refused (types, required fields, key mismatch, ...).
    case staging
}
