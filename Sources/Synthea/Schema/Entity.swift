/// The six Synthea entities the pipeline carries (spec section 1).
public enum Entity: String, Sendable, CaseIterable, Hashable, Comparable {
    case organizations
    case providers
    case patients
    case encounters
    case conditions
    case medications

    /// Records keyed to a patient: the producers partition them by patient id, so one
    /// patient's records share a partition number across these topics (organizations and
    /// providers are reference data, shared by every patient).
    public var isPatientScoped: Bool { self != .organizations && self != .providers }

    /// The file of an export that holds this entity.
    public var fileName: String { "\(rawValue).csv" }

    public static func < (a: Entity, b: Entity) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
