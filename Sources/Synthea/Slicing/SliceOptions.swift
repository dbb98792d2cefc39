/// The order a facility producer publishes its slice in.
public enum PublishOrder: String, Sendable, CaseIterable {
    /// By encounter START: organizations and providers first, a patient before the first
    /// record that refers to it, conditions and medications right after their encounter.
    case eventTime = "event-time"
    /// Entity by entity (organizations, providers, patients, encounters, conditions,
    /// medications), each in file order.
    case file
}

/// What to slice out of an export.
public struct SliceOptions: Sendable {
    /// The facilities (organization ids) to slice; nil for every organization in organizations.csv.
    public var facilities: Set<String>?
    public var order: PublishOrder
    /// Memory for each of the sorter's buffers before it spills to temporary files.
    public var memoryBudget: Int

    public init(facilities: Set<String>? = nil, order: PublishOrder = .eventTime, memoryBudget: Int = 16 << 20) {
        self.facilities = facilities
        self.order = order
        self.memoryBudget = memoryBudget
    }
}

/// One record of a facility's slice, ready to publish.
public struct SlicedRecord: Sendable {
    public var facility: String
    public var entity: Entity
    public var row: CSVRow
    /// The instant the record happens at on the event timeline (its encounter's START, or the
    /// first encounter at this facility for a patient); nil for organizations and providers.
    public var eventTime: Int64?
}

/// Counts from slicing, for the producer's summary.
public struct SliceSummary: Sendable {
    /// Records in all slices, per entity (a patient seen at k facilities counts k times).
    public var records: [Entity: Int] = [:]
    /// Facilities sliced.
    public var facilities: Int = 0
    /// Rows that belong to no selected facility's slice, per entity (e.g. a patient with no
    /// encounter, or a condition whose encounter is not in encounters.csv).
    public var outsideSlices: [Entity: Int] = [:]
    /// Facility ids asked for with --facility that organizations.csv does not have.
    public var unknownFacilities: [String] = []

    public var total: Int { records.values.reduce(0, +) }
}
