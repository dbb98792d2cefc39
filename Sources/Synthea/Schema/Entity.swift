/// The six Synthea entities the pipeline carries (spec section 1).
public enum Entity: String, Sendable, CaseIterable, Hashable, Comparable {
    case organizations
    case providers
    case patients
    case encounters
    case conditions
    case medications

    /// The file of an export that holds this entity.
    public var fileName: String { "\(rawValue).csv" }

    public static func < (a: Entity, b: Entity) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
