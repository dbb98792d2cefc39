import Chronology
import State
import Synthea

/// The HIPAA Safe Harbor method (45 CFR 164.514(b)(2)) applied to what an export writes
/// (`emr export --deidentify`):
/// - patient and encounter identifiers (and the medication id derived from them) become keyed
///   pseudonyms, the same in every mart;
/// - `dim_patients` loses names, street address, city, county, FIPS code, birthplace and
///   coordinates; its ZIP code keeps three digits, `000` for the restricted three-digit areas;
/// - every date or time about a patient in a row-level mart keeps only its year; ages above 89
///   become 90, and a birth year that would reveal an age above 89 becomes null;
/// - aggregate marts keep their grain; a row with a count from 1 to 10 has its counts and
///   measures nulled and `suppressed` = 1 (the CMS cell-size rule);
/// - organizations, providers and the code dimensions are not about patients: exported as they are.
public struct SafeHarbor: Sendable {
    public let key: PseudonymKey
    /// Ages of living patients are reckoned at this day (days since 1970-01-01; the export's day).
    public let referenceDay: Int64

    public init(key: PseudonymKey, referenceDay: Int64) {
        self.key = key
        self.referenceDay = referenceDay
    }

    /// The method's name and legal source, for the manifest.
    public static let method = "HIPAA Safe Harbor, 45 CFR 164.514(b)(2)"

    /// The rules, as the manifest records them (never the key).
    public static let rules = [
        "patient_id, encounter_id and patient_medication_id replaced by HMAC-SHA-256 pseudonyms (hex), the same in every mart",
        "dim_patients without \(removedPatientColumns.joined(separator: ", "))",
        "dim_patients.zip_code: first 3 digits; 000 for the restricted 3-digit areas \(restrictedZIP3.sorted().joined(separator: " "))",
        "dates and times about a patient in row-level marts: year only",
        "ages above 89: 90; birth year null when the age would be above 89",
        "aggregate marts: counts 1 to 10 and their row's measures null, suppressed = 1",
        "dim_organizations, dim_providers, dim_conditions, dim_medications unchanged",
    ]

    static let removedPatientColumns = ["prefix", "first_name", "middle_name", "last_name", "suffix", "maiden_name",
                                        "birthplace", "address", "city", "county", "fips", "lat", "lon"]
    /// Three-digit ZIP areas of 20,000 people or fewer (HHS, from the 2000 census).
    static let restrictedZIP3: Set<String> = ["036", "059", "063", "102", "203", "556", "692", "790", "821", "823", "830", "831",
                                              "878", "879", "884", "890", "893"]
    static let pseudonymColumns: Set<String> = ["patient_id", "encounter_id", "patient_medication_id"]
    static let patientTimeColumns: Set<String> = ["birth_date", "death_date", "start_at", "start_date", "stop_at", "stop_date", "ingested_at"]
    static let ageColumns: Set<String> = [
        "patient_age_at_encounter_start_years", "patient_age_at_encounter_stop_years", "patient_age_at_condition_start_years",
        "patient_age_at_condition_stop_years", "patient_age_at_medication_start_years", "patient_age_at_medication_stop_years",
    ]
    /// Per aggregate mart: its counts and its other measures.
    static let aggregates: [String: (counts: [String], measures: [String])] = [
        MartCatalog.readmissions.name: (["readmission_encounter_count", "encounter_count"], []),
        MartCatalog.encountersByMonth.name: (["encounter_count"], ["total_claim_cost"]),
        MartCatalog.topMedications.name: (["total_dispenses"], []),
    ]
    static let rowLevel: Set<String> = [MartCatalog.dimPatients.name, MartCatalog.encounters.name, MartCatalog.conditions.name,
                                        MartCatalog.medications.name]

    /// The table an export writes for `mart`.
    func table(for mart: MartDefinition) -> ExportTable {
        if let aggregate = Self.aggregates[mart.name] { return suppressing(mart, aggregate.counts, aggregate.measures) }
        guard Self.rowLevel.contains(mart.name) else { return .plain(mart) }
        let removed = mart.name == MartCatalog.dimPatients.name ? Set(Self.removedPatientColumns) : []
        let kept = mart.columns.enumerated().filter { !removed.contains($0.element) }
        let index = Dictionary(uniqueKeysWithValues: mart.columns.enumerated().map { ($1, $0) })
        let key = self.key, referenceDay = self.referenceDay
        return ExportTable(mart: mart, columns: kept.map(\.element), addedTypes: [:]) { row in
            kept.map { position, column in
                let value = row[position]
                if Self.pseudonymColumns.contains(column) { return value.text.map { .text(key.pseudonym($0)) } ?? .null }
                if column == "zip_code" { return Self.zip3(value) }
                if column == "birth_date" {
                    let death = index["death_date"].flatMap { Self.day(row[$0]) }
                    return Self.birthYear(value, at: death ?? referenceDay)
                }
                if Self.patientTimeColumns.contains(column) { return Self.year(value) }
                if Self.ageColumns.contains(column) { return Self.cappedAge(value) }
                return value
            }
        }
    }

    private func suppressing(_ mart: MartDefinition, _ counts: [String], _ measures: [String]) -> ExportTable {
        let countIndexes = counts.compactMap { mart.columns.firstIndex(of: $0) }
        let nulled = Set(countIndexes + measures.compactMap { mart.columns.firstIndex(of: $0) })
        return ExportTable(mart: mart, columns: mart.columns + ["suppressed"], addedTypes: ["suppressed": "INTEGER"]) { row in
            let small = countIndexes.contains { index in
                let count = row[index].int ?? 0
                return (1...10).contains(count)
            }
            guard small else { return row + [.integer(0)] }
            return row.enumerated().map { nulled.contains($0.offset) ? .null : $0.element } + [.integer(1)]
        }
    }

    // MARK: - Rules on one value

    /// The first three digits of a ZIP code, `000` for a restricted area; null without three digits.
    static func zip3(_ value: SQLiteValue) -> SQLiteValue {
        guard let text = value.text else { return .null }
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard digits.count >= 3 else { return .null }
        let prefix = String(digits.prefix(3))
        return .text(restrictedZIP3.contains(prefix) ? "000" : prefix)
    }

    /// `YYYY` of a date or timestamp.
    static func year(_ value: SQLiteValue) -> SQLiteValue {
        guard let text = value.text, text.count >= 4 else { return .null }
        return .text(String(text.prefix(4)))
    }

    /// The birth year, or null when the patient's age at `day` is above 89.
    static func birthYear(_ value: SQLiteValue, at day: Int64) -> SQLiteValue {
        guard let birth = Self.day(value) else { return year(value) }
        let (by, bm, bd) = CivilTime.date(fromDays: birth)
        let (ry, rm, rd) = CivilTime.date(fromDays: day)
        let age = ry - by - ((rm, rd) < (bm, bd) ? 1 : 0)
        return age > 89 ? .null : .text(String(by))
    }

    static func cappedAge(_ value: SQLiteValue) -> SQLiteValue {
        switch value {
        case .integer(let age) where age > 89: .integer(90)
        case .real(let age) where age > 89: .integer(90)
        default: value
        }
    }

    /// Days since 1970-01-01 of a `YYYY-MM-DD...` text.
    static func day(_ value: SQLiteValue) -> Int64? {
        guard let text = value.text, text.count >= 10 else { return nil }
        let parts = text.prefix(10).split(separator: "-")
        guard parts.count == 3, let y = Int64(parts[0]), let m = Int64(parts[1]), let d = Int64(parts[2]) else { return nil }
        return CivilTime.days(year: y, month: m, day: d)
    }
}
