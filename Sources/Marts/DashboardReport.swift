import State

/// An inclusive range of dates (`YYYY-MM-DD`); nil ends are open (all time by default).
public struct ReportRange: Sendable, Hashable {
    public var from: String?
    public var to: String?

    public init(from: String? = nil, to: String? = nil) {
        self.from = from
        self.to = to
    }

    var bounds: (SQLiteValue, SQLiteValue) { (.text(from ?? "0000-01-01"), .text(to ?? "9999-12-31")) }
}

/// Every figure of the dashboard (the panels of the batch pipeline's Looker Studio report),
/// computed for a range of encounter start dates in one read snapshot, from the summary tables
/// of ``ReportSummaries`` (encounters, patients) and the marts (readmissions, medications, conditions): per
/// encounter class encounters, distinct patients, claim cost, readmission rate and average
/// length of stay; class mix by age group; the most dispensed medications by age group;
/// encounters through the year by month and class; the top diagnoses (type `disorder`) by class.
public struct DashboardReport: Sendable, Equatable {
    public struct ClassFigures: Sendable, Equatable {
        public var encounterClass: String
        public var encounters: Int64
        public var patients: Int64
        /// Exact decimal text.
        public var totalClaimCost: String
        /// Encounters counted as readmissions (`days_between_encounters` within the window).
        public var readmissions: Int64
        public var readmissionRatePercent: Double
        /// Mean of `encounter_duration_days` (nil when no encounter of the class has a stop).
        public var averageLengthOfStayDays: Double?
    }

    public struct Count: Sendable, Equatable {
        public var label: String
        public var value: Int64
    }

    public struct Group: Sendable, Equatable {
        public var label: String
        /// Sorted by label (classes) or by the report's order.
        public var counts: [Count]
        public var total: Int64 { counts.reduce(0) { $0 + $1.value } }
    }

    public var range: ReportRange
    public var encounters: Int64
    public var patients: Int64
    public var totalClaimCost: String
    public var classes: [ClassFigures]
    /// Per age group (in age order): encounters per class.
    public var classesByAgeGroup: [Group]
    /// The most dispensed medications (most first): dispenses per age group.
    public var topMedications: [Group]
    /// Months of the year Jan to Dec: encounters per class.
    public var monthsOfYear: [Group]
    /// Per class: the most frequent diagnoses (conditions of type `disorder`), most first.
    public var topDiagnoses: [Group]

    static let encounterFilter = "start_date BETWEEN ?1 AND ?2"

    public static func compute(_ db: SQLiteDatabase, range: ReportRange = ReportRange(), topMedications: Int = 8, topDiagnoses: Int = 5) throws -> DashboardReport {
        let (from, to) = range.bounds
        func rows(_ sql: String) throws -> [[SQLiteValue]] { try db.prepare(sql).bind(from, to).rows() }

        let readmissions = Dictionary(uniqueKeysWithValues: try rows("""
            SELECT encounter_class, sum(readmission_encounter_count) FROM fact_patient_encounter_readmissions
            WHERE \(encounterFilter) GROUP BY encounter_class
            """).map { ($0[0].text ?? "", $0[1].int ?? 0) })
        // Distinct patients per class and overall, from the range's rows in (patient, class) order.
        var patientsByClass: [String: Int64] = [:]
        var patients: Int64 = 0
        var lastPatient: String?
        for row in try rows("""
            SELECT patient_id, encounter_class FROM report_patient_days WHERE \(encounterFilter)
            GROUP BY patient_id, encounter_class ORDER BY patient_id, encounter_class
            """) {
            patientsByClass[row[1].text ?? "", default: 0] += 1
            if row[0].text != lastPatient { patients += 1; lastPatient = row[0].text }
        }
        let classes = try rows("""
            SELECT encounter_class, sum(encounter_count), emr_decimal_sum(total_claim_cost), sum(duration_seconds), sum(duration_count)
            FROM fact_patient_encounter_readmissions WHERE \(encounterFilter) GROUP BY encounter_class ORDER BY sum(encounter_count) DESC, encounter_class
            """).map { row -> ClassFigures in
            let name = row[0].text ?? "", count = row[1].int ?? 0, readmitted = readmissions[name] ?? 0
            let seconds = row[3].int ?? 0, stays = row[4].int ?? 0
            return ClassFigures(encounterClass: name, encounters: count, patients: patientsByClass[name] ?? 0, totalClaimCost: row[2].text ?? "0",
                                readmissions: readmitted, readmissionRatePercent: count > 0 ? Double(readmitted) * 100 / Double(count) : 0,
                                averageLengthOfStayDays: stays > 0 ? Double(seconds) / Double(stays) / 86_400 : nil)
        }
        // Grouped first, named after (a join per summary row costs more than the grouping).
        let ageNames = Dictionary(uniqueKeysWithValues: try db.prepare("SELECT age_group_id, age_group_description FROM age_groups").rows()
            .map { ($0[0].int ?? 0, SQLiteValue.text($0[1].text ?? "")) })
        let byAge = try grouped(rows("""
            SELECT age_group_id, encounter_class, sum(encounter_count) FROM report_age_days
            WHERE \(encounterFilter) GROUP BY 1, 2 ORDER BY 1, 2
            """).map { [$0[0], ageNames[$0[0].int ?? 0] ?? .text(""), $0[1], $0[2]] })
        let medications = try grouped(rows("""
            SELECT medication_description, age_group_id, sum(total_dispenses)
            FROM fact_top_medications_by_patient_age_group WHERE \(encounterFilter) GROUP BY 1, 2 ORDER BY 1, 2
            """).map { [.null, $0[0], ageNames[$0[1].int ?? 0] ?? .text(""), $0[2]] })
        let months = try grouped(rows("""
            SELECT CAST(substr(start_date, 6, 2) AS INTEGER), encounter_class, sum(encounter_count) FROM fact_patient_encounter_readmissions
            WHERE \(encounterFilter) GROUP BY 1, 2 ORDER BY 1, 2
            """).map { row in [row[0], .text(monthNames[Int(row[0].int ?? 1) - 1]), row[1], row[2]] })
        let diagnoses = try grouped(rows("""
            SELECT encounter_class, condition_description, count(*) FROM fact_patient_conditions
            WHERE \(encounterFilter) AND condition_description_type = 'disorder' AND encounter_class IS NOT NULL
            GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2
            """).map { [.null, $0[0], $0[1], $0[2]] })
        return DashboardReport(
            range: range, encounters: classes.reduce(0) { $0 + $1.encounters }, patients: patients,
            totalClaimCost: Self.total(classes), classes: classes, classesByAgeGroup: byAge,
            topMedications: Array(medications.sorted { ($0.total, $1.label) > ($1.total, $0.label) }.prefix(topMedications)),
            monthsOfYear: monthsOfYearFilled(months),
            topDiagnoses: diagnoses.map { Group(label: $0.label, counts: Array($0.counts.prefix(topDiagnoses))) })
    }

    /// The exact sum of the classes' claim costs.
    static func total(_ classes: [ClassFigures]) -> String {
        DecimalText.canonical(classes.compactMap { DecimalText.parse($0.totalClaimCost) }.reduce(0, +))
    }

    public static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Rows `[order, group label, item label, count]` (order may be null) into groups, keeping
    /// the rows' order of groups and items.
    static func grouped(_ rows: [[SQLiteValue]]) -> [Group] {
        var groups: [Group] = []
        for row in rows {
            let label = row[1].text ?? "", item = row[2].text ?? "", value = row[3].int ?? 0
            if groups.last?.label == label {
                groups[groups.count - 1].counts.append(Count(label: item, value: value))
            } else if let index = groups.firstIndex(where: { $0.label == label }) {
                groups[index].counts.append(Count(label: item, value: value))
            } else {
                groups.append(Group(label: label, counts: [Count(label: item, value: value)]))
            }
        }
        return groups
    }

    /// All twelve months, empty ones included.
    static func monthsOfYearFilled(_ months: [Group]) -> [Group] {
        monthNames.map { name in months.first { $0.label == name } ?? Group(label: name, counts: []) }
    }
}

extension SQLiteValue {
    /// A REAL (or INTEGER) as a Double.
    public var double: Double? {
        switch self {
        case .real(let v): v
        case .integer(let v): Double(v)
        default: nil
        }
    }
}
