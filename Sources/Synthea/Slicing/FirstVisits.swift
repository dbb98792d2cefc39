/// The first visit of one patient at each facility, over a run of consecutive encounter rows of
/// that patient: what the join of patients with their facilities needs from those rows.
///
/// Synthea writes a patient's encounters together, so keeping only each run's first visit per
/// facility leaves the sorter one entry per patient and facility instead of one per encounter
/// (`scripts/bench-produce.sh` at 9,220 patients: 12,948 entries instead of 407,203, and 415
/// instead of 460 MB written to spill files in the whole run). A file in another order only makes the runs shorter; the join still takes
/// the first of all entries of a patient and facility, by time and then by reading order.
struct FirstVisits {
    struct Visit {
        /// The facility's number (``FacilityCodes``).
        var facility: Int
        var time: Int64?
        var sequence: UInt64
    }

    private(set) var patient: String?
    private var visits: [Visit] = []

    /// Notes a visit; when `patient` starts a new run, returns the previous run's first visits
    /// (in the order their facilities were first seen).
    mutating func note(patient: String, facility: Int, time: Int64?, sequence: UInt64) -> (patient: String, visits: [Visit])? {
        var finished: (String, [Visit])?
        if patient != self.patient {
            finished = finish()
            self.patient = patient
        }
        let visit = Visit(facility: facility, time: time, sequence: sequence)
        if let index = visits.firstIndex(where: { $0.facility == facility }) {
            // Rows of a run come in reading order: a later row is first only if strictly earlier.
            if Self.isEarlier(time, than: visits[index].time) { visits[index] = visit }
        } else {
            visits.append(visit)
        }
        return finished
    }

    /// The current run's first visits; the run ends.
    mutating func finish() -> (patient: String, visits: [Visit])? {
        guard let patient, !visits.isEmpty else { return nil }
        defer { visits.removeAll(keepingCapacity: true); self.patient = nil }
        return (patient, visits)
    }

    /// The sort key's order of event times: known instants by time, unknown ones after them.
    static func isEarlier(_ a: Int64?, than b: Int64?) -> Bool {
        switch (a, b) {
        case let (a?, b?): a < b
        case (.some, nil): true
        default: false
        }
    }
}
