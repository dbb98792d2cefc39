import Foundation

/// Writes a Synthea 3.x-layout CSV export (patients, encounters, conditions, medications,
/// organizations, providers, payers) from a seed: the same options give the same bytes.
///
/// Patients are generated one at a time and written as they are made (encounters grouped by
/// patient, in time order, as Synthea writes them), so memory does not grow with the patient
/// count. The data exercises every mart: many facilities, patients seen at several of them,
/// lifetimes of wellness, ambulatory, outpatient, urgent-care, emergency, inpatient, virtual
/// and skilled-nursing encounters, readmissions within a few days (some at exactly 7 days),
/// chronic and acute conditions with SNOMED-style suffixes, medications with dispenses and
/// costs (some still active), and deaths.
public final class ExportGenerator {
    private let options: GeneratorOptions
    private var random: SeededRandom
    private var organizations: [Organization] = []
    private var providers: [Provider] = []
    private var payerIds: [String] = []
    private var summary = GeneratorSummary()

    struct Organization {
        var id: String
        var name: String
        var city: (String, String, String)
        var address: String
        var lat: Int64
        var lon: Int64
        var phone: String
        var providers: [Int] = []
        var encounters = 0
    }

    struct Provider {
        var id: String
        var organization: Int
        var name: String
        var gender: String
        var speciality: String
        var encounters = 0
    }

    public init(options: GeneratorOptions) {
        self.options = options
        random = SeededRandom(seed: options.seed)
    }

    /// Writes the export into `directory` (created if needed); `progress` gets patients done.
    public func write(to directory: String, progress: (Int) -> Void = { _ in }) throws -> GeneratorSummary {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        makeReferenceData()
        let patients = try CSVWriter(path: path("patients.csv"), header: Headers.patients)
        let encounters = try CSVWriter(path: path("encounters.csv"), header: Headers.encounters)
        let conditions = try CSVWriter(path: path("conditions.csv"), header: Headers.conditions)
        let medications = try CSVWriter(path: path("medications.csv"), header: Headers.medications)
        var lives = PatientLifeWriter(options: options, payerIds: payerIds,
                                      patients: patients, encounters: encounters, conditions: conditions, medications: medications)
        for index in 0..<options.patients {
            try lives.writePatient(index: index, random: &random, organizations: &organizations, providers: &providers)
            if index % 1_000 == 999 { progress(index + 1) }
        }
        progress(options.patients)
        for writer in [patients, encounters, conditions, medications] { try writer.close() }
        summary.rows = lives.rows
        try writeOrganizations(path("organizations.csv"))
        try writeProviders(path("providers.csv"))
        try writePayers(path("payers.csv"))
        return summary
    }

    private func makeReferenceData() {
        for i in 0..<max(options.organizations, 1) {
            let city = random.pick(CodeTables.cities)
            let kind = CodeTables.organizationKinds[i % CodeTables.organizationKinds.count]
            organizations.append(Organization(
                id: random.uuid(), name: "\(city.0.uppercased()) \(kind.uppercased()) \(i + 1)", city: city,
                address: "\(random.int(1...999)) \(random.pick(CodeTables.streets))",
                lat: 42_000_000 + random.int(0...900_000), lon: -73_000_000 + random.int(0...2_500_000),
                phone: random.chance(0.15) ? "" : "\(random.int(200...999))-\(random.int(200...999))-\(random.int(1000...9999))"))
        }
        for o in organizations.indices {
            for _ in 0..<random.int(1...3) {
                let gender = random.chance(0.5) ? "F" : "M"
                providers.append(Provider(id: random.uuid(), organization: o,
                                          name: "\(random.pick(CodeTables.firstNames))\(random.int(1...999)) \(random.pick(CodeTables.lastNames))\(random.int(1...999))",
                                          gender: gender, speciality: random.pick(CodeTables.specialities)))
                organizations[o].providers.append(providers.count - 1)
            }
        }
        payerIds = CodeTables.payers.map { _ in random.uuid() }
    }

    private func writeOrganizations(_ path: String) throws {
        let writer = try CSVWriter(path: path, header: Headers.organizations)
        for o in organizations {
            try writer.write([o.id, o.name, o.address, o.city.0, "MA", o.city.2 + "01", GeneratedDecimalText.micro(o.lat), GeneratedDecimalText.micro(o.lon),
                              o.phone, "0.0", String(o.encounters)])
        }
        try writer.close()
        summary.rows["organizations"] = organizations.count
    }

    private func writeProviders(_ path: String) throws {
        let writer = try CSVWriter(path: path, header: Headers.providers)
        for p in providers {
            let o = organizations[p.organization]
            try writer.write([p.id, o.id, p.name, p.gender, p.speciality, o.address, o.city.0, "MA", o.city.2 + "01",
                              GeneratedDecimalText.micro(o.lat), GeneratedDecimalText.micro(o.lon), String(p.encounters), "0"])
        }
        try writer.close()
        summary.rows["providers"] = providers.count
    }

    private func writePayers(_ path: String) throws {
        let writer = try CSVWriter(path: path, header: Headers.payers)
        for (i, name) in CodeTables.payers.enumerated() {
            let government = i < 2 || name == "Dual Eligible"
            try writer.write([payerIds[i], name, government ? "GOVERNMENT" : (name == "NO_INSURANCE" ? "" : "PRIVATE"),
                              "", "", "", "", "", "0.00", "0.00", "0.00", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0.0", "0"])
        }
        try writer.close()
        summary.rows["payers"] = CodeTables.payers.count
    }
}

/// Header rows of the Synthea 3.x (L3c) layout.
enum Headers {
    static let patients = ["Id", "BIRTHDATE", "DEATHDATE", "SSN", "DRIVERS", "PASSPORT", "PREFIX", "FIRST", "MIDDLE", "LAST", "SUFFIX",
                           "MAIDEN", "MARITAL", "RACE", "ETHNICITY", "GENDER", "BIRTHPLACE", "ADDRESS", "CITY", "STATE", "COUNTY",
                           "FIPS", "ZIP", "LAT", "LON", "HEALTHCARE_EXPENSES", "HEALTHCARE_COVERAGE", "INCOME"]
    static let encounters = ["Id", "START", "STOP", "PATIENT", "ORGANIZATION", "PROVIDER", "PAYER", "ENCOUNTERCLASS", "CODE",
                             "DESCRIPTION", "BASE_ENCOUNTER_COST", "TOTAL_CLAIM_COST", "PAYER_COVERAGE", "REASONCODE", "REASONDESCRIPTION"]
    static let conditions = ["START", "STOP", "PATIENT", "ENCOUNTER", "SYSTEM", "CODE", "DESCRIPTION"]
    static let medications = ["START", "STOP", "PATIENT", "PAYER", "ENCOUNTER", "CODE", "DESCRIPTION", "BASE_COST", "PAYER_COVERAGE",
                              "DISPENSES", "TOTALCOST", "REASONCODE", "REASONDESCRIPTION"]
    static let organizations = ["Id", "NAME", "ADDRESS", "CITY", "STATE", "ZIP", "LAT", "LON", "PHONE", "REVENUE", "UTILIZATION"]
    static let providers = ["Id", "ORGANIZATION", "NAME", "GENDER", "SPECIALITY", "ADDRESS", "CITY", "STATE", "ZIP", "LAT", "LON",
                            "ENCOUNTERS", "PROCEDURES"]
    static let payers = ["Id", "NAME", "OWNERSHIP", "ADDRESS", "CITY", "STATE_HEADQUARTERED", "ZIP", "PHONE", "AMOUNT_COVERED",
                         "AMOUNT_UNCOVERED", "REVENUE", "COVERED_ENCOUNTERS", "UNCOVERED_ENCOUNTERS", "COVERED_MEDICATIONS",
                         "UNCOVERED_MEDICATIONS", "COVERED_PROCEDURES", "UNCOVERED_PROCEDURES", "COVERED_IMMUNIZATIONS",
                         "UNCOVERED_IMMUNIZATIONS", "UNIQUE_CUSTOMERS", "QOLS_AVG", "MEMBER_MONTHS"]
}
