/// Settings of a generated Synthea-format export.
public struct GeneratorOptions: Sendable, Equatable {
    public var patients: Int
    public var organizations: Int
    public var seed: UInt64
    /// Encounters happen in [startYear-01-01, endYear-12-31] (births may be earlier).
    public var startYear: Int
    public var endYear: Int

    public init(patients: Int = 200, organizations: Int = 25, seed: UInt64 = 1, startYear: Int = 2008, endYear: Int = 2025) {
        self.patients = patients
        self.organizations = organizations
        self.seed = seed
        self.startYear = startYear
        self.endYear = endYear
    }
}

/// What a generation wrote.
public struct GeneratorSummary: Sendable {
    public var rows: [String: Int] = [:]
}
