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

    /// The entity's place among ``allCases``.
    public var ordinal: Int {
        switch self {
        case .organizations: 0
        case .providers: 1
        case .patients: 2
        case .encounters: 3
        case .conditions: 4
        case .medications: 5
        }
    }

    public static func < (a: Entity, b: Entity) -> Bool { a.ordinal < b.ordinal }

    /// By ordinal: a raw-valued enum would otherwise hash its name's text, and entities key
    /// dictionaries read for every record the consumer applies.
    public func hash(into hasher: inout Hasher) { hasher.combine(ordinal) }
}
