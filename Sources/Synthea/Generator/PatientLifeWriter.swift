import Chronology
/// Generates one patient's life (demographics, encounters, conditions, medications) and writes
/// it at once: nothing about earlier patients is kept but counters.
struct PatientLifeWriter {
    let options: GeneratorOptions
    let payerIds: [String]
    let patients: CSVWriter
    let encounters: CSVWriter
    let conditions: CSVWriter
    let medications: CSVWriter
    private(set) var rows: [String: Int] = [:]

    init(options: GeneratorOptions, payerIds: [String], patients: CSVWriter, encounters: CSVWriter,
         conditions: CSVWriter, medications: CSVWriter) {
        self.options = options
        self.payerIds = payerIds
        self.patients = patients
        self.encounters = encounters
        self.conditions = conditions
        self.medications = medications
    }

    private struct Visit {
        var start: Int64
        var stop: Int64
        var encounterClass: String
        var organization: Int
    }

    mutating func writePatient(index: Int, random: inout SeededRandom,
                               organizations: inout [ExportGenerator.Organization],
                               providers: inout [ExportGenerator.Provider]) throws {
        let windowStart = CivilTime.days(year: Int64(options.startYear), month: 1, day: 1) * 86_400
        let windowEnd = CivilTime.days(year: Int64(options.endYear), month: 12, day: 31) * 86_400
        let id = random.uuid()
        let birthDay = random.int(CivilTime.days(year: 1925, month: 1, day: 1)...(windowEnd / 86_400 - 30))
        var deathDay: Int64?
        if random.chance(0.05) {
            let earliest = max(birthDay + 365, windowStart / 86_400 + 365)
            if earliest < windowEnd / 86_400 { deathDay = random.int(earliest...(windowEnd / 86_400)) }
        }
        let payer = random.pick(payerIds)
        // A home facility (some busier than others) and sometimes one or two more.
        let home = Int(Double(organizations.count) * random.unit() * random.unit())
        var facilities = [home]
        if random.chance(0.35) { facilities.append(random.int(0...(organizations.count - 1))) }
        if random.chance(0.1) { facilities.append(random.int(0...(organizations.count - 1))) }

        try writeDemographics(id: id, birthDay: birthDay, deathDay: deathDay, random: &random)

        let from = max(birthDay * 86_400, windowStart)
        let until = min(deathDay.map { $0 * 86_400 } ?? windowEnd, windowEnd)
        var visits = plannedVisits(from: from, until: until, facilities: facilities, random: &random)
        visits.sort { ($0.start, $0.organization) < ($1.start, $1.organization) }
        for visit in visits {
            try writeEncounter(visit, patient: id, payer: payer, birthDay: birthDay, random: &random,
                               organizations: &organizations, providers: &providers)
        }
    }

    private func plannedVisits(from: Int64, until: Int64, facilities: [Int], random: inout SeededRandom) -> [Visit] {
        guard from < until else { return [] }
        var visits: [Visit] = []
        let day: Int64 = 86_400
        // Wellness about once a year at the home facility.
        var t = from + random.int(0...(300 * day))
        while t < until {
            let start = t + random.int(8 * 3600...17 * 3600) - t % day
            visits.append(Visit(start: start, stop: start + random.int(900...3600), encounterClass: "wellness", organization: facilities[0]))
            t += random.int(300 * day...500 * day)
        }
        // Other care, now and then, anywhere the patient goes.
        t = from + random.int(0...(200 * day))
        while t < until {
            let encounterClass = random.pick(CodeTables.encounterClasses)
            let organization = random.chance(0.7) ? facilities[0] : random.pick(facilities)
            let start = t - t % day + random.int(0...(day - 1))
            let length: Int64 = ["inpatient", "snf"].contains(encounterClass) ? random.int(day...(6 * day)) : random.int(900...7200)
            visits.append(Visit(start: start, stop: start + length, encounterClass: encounterClass, organization: organization))
            // Readmissions: back within days, same place and class; a few at exactly 7 days,
            // a few just outside the window.
            if ["inpatient", "emergency"].contains(encounterClass) && random.chance(0.3) {
                let gap = random.pick([(day, 3), (2 * day, 3), (3 * day, 3), (5 * day, 2), (7 * day, 2), (7 * day + 3600, 1), (9 * day, 1)])
                let again = start + gap
                if again < until {
                    visits.append(Visit(start: again, stop: again + length, encounterClass: encounterClass, organization: organization))
                }
            }
            t += random.int(20 * day...400 * day)
        }
        return visits
    }

    private mutating func writeDemographics(id: String, birthDay: Int64, deathDay: Int64?, random: inout SeededRandom) throws {
        let female = random.chance(0.5)
        let city = random.pick(CodeTables.cities)
        let birthCity = random.pick(CodeTables.cities)
        let age = (CivilTime.days(year: Int64(options.endYear), month: 12, day: 31) - birthDay) / 365
        let married = age >= 18 && random.chance(0.55)
        let first = "\(random.pick(CodeTables.firstNames))\(random.int(1...999))"
        let last = "\(random.pick(CodeTables.lastNames))\(random.int(1...999))"
        try patients.write([
            id, CivilTime.formatDate(days: birthDay), deathDay.map { CivilTime.formatDate(days: $0) } ?? "",
            "999-\(random.int(10...99))-\(random.int(1000...9999))", age >= 16 ? "S999\(random.int(10000...99999))" : "",
            age >= 18 ? "X\(random.int(10_000_000...99_999_999))X" : "",
            age >= 18 ? (female ? (married ? "Mrs." : "Ms.") : "Mr.") : "", first,
            random.chance(0.4) ? "\(random.pick(CodeTables.firstNames))\(random.int(1...999))" : "", last, "",
            female && married ? "\(random.pick(CodeTables.lastNames))\(random.int(1...999))" : "",
            age >= 18 ? random.pick([("M", 5), ("S", 3), ("D", 1), ("W", 1)]) : "",
            random.pick([("white", 60), ("black", 12), ("asian", 8), ("hispanic", 12), ("native", 2), ("other", 6)]),
            random.chance(0.85) ? "nonhispanic" : "hispanic", female ? "F" : "M",
            "\(birthCity.0)  Massachusetts  US", "\(random.int(1...999)) \(random.pick(CodeTables.streets))", city.0,
            "Massachusetts", city.1, random.chance(0.3) ? "" : "25\(random.int(100...999))",
            random.chance(0.1) ? "" : city.2 + CivilTime.pad(random.int(0...99), 2),
            GeneratedDecimalText.micro(42_000_000 + random.int(0...900_000)), GeneratedDecimalText.micro(-73_000_000 + random.int(0...2_500_000)),
            GeneratedDecimalText.cents(random.int(0...200_000_000)), GeneratedDecimalText.cents(random.int(0...50_000_000)),
            String(random.int(10_000...900_000)),
        ])
        rows["patients", default: 0] += 1
    }

    private mutating func writeEncounter(_ visit: Visit, patient: String, payer: String, birthDay: Int64, random: inout SeededRandom,
                                         organizations: inout [ExportGenerator.Organization],
                                         providers: inout [ExportGenerator.Provider]) throws {
        let id = random.uuid()
        let organization = organizations[visit.organization]
        let provider = organization.providers[random.int(0...(organization.providers.count - 1))]
        organizations[visit.organization].encounters += 1
        providers[provider].encounters += 1
        let young = (visit.start / 86_400 - birthDay) < 18 * 365
        var types = CodeTables.encounterTypes[visit.encounterClass]!
        if visit.encounterClass == "wellness" { types = [types[young ? 1 : 0]] }
        let type = random.pick(types)
        let base = type.baseCents
        let total = base + random.int(0...250_000)
        let coverage = random.chance(0.3) ? 0 : total * random.int(0...100) / 100
        var reason: CodeTables.Condition?
        if visit.encounterClass != "wellness" && random.chance(0.3) { reason = random.pick(CodeTables.conditions) }
        try encounters.write([
            id, CivilTime.formatTimestamp(seconds: visit.start), CivilTime.formatTimestamp(seconds: visit.stop), patient,
            organization.id, providers[provider].id, payer, visit.encounterClass, type.code, type.description,
            GeneratedDecimalText.cents(base), GeneratedDecimalText.cents(total), GeneratedDecimalText.cents(coverage),
            reason?.code ?? "", reason?.description ?? "",
        ])
        rows["encounters", default: 0] += 1
        try writeConditions(encounter: id, visit: visit, patient: patient, random: &random)
        try writeMedications(encounter: id, visit: visit, patient: patient, payer: payer, reason: reason, random: &random)
    }

    private mutating func writeConditions(encounter: String, visit: Visit, patient: String, random: inout SeededRandom) throws {
        let wellness = visit.encounterClass == "wellness"
        guard random.chance(wellness ? 0.25 : 0.35) else { return }
        let table = wellness ? CodeTables.findings : CodeTables.conditions
        var used: Set<String> = []
        for _ in 0..<random.int(1...2) {
            let condition = random.pick(table)
            guard used.insert(condition.code).inserted else { continue }
            let startDay = visit.start / 86_400
            let stop = condition.chronic && random.chance(0.8) ? "" : CivilTime.formatDate(days: startDay + random.int(3...60))
            try conditions.write([CivilTime.formatDate(days: startDay), stop, patient, encounter, "http://snomed.info/sct",
                                  condition.code, condition.description])
            rows["conditions", default: 0] += 1
        }
    }

    private mutating func writeMedications(encounter: String, visit: Visit, patient: String, payer: String,
                                           reason: CodeTables.Condition?, random: inout SeededRandom) throws {
        guard visit.encounterClass != "wellness", random.chance(0.35) else { return }
        var used: Set<String> = []
        for _ in 0..<random.int(1...2) {
            let medication = random.pick(CodeTables.medications)
            guard used.insert(medication.code).inserted else { continue }
            let active = medication.chronic && random.chance(0.4)
            let days: Int64 = random.int(7...180)
            let dispenses: Int64 = active ? random.int(1...24) : max(1, days / 30)
            let total = medication.baseCents * dispenses
            let coverage = random.chance(0.5) ? 0 : total * random.int(0...100) / 100
            try medications.write([
                CivilTime.formatTimestamp(seconds: visit.start), active ? "" : CivilTime.formatTimestamp(seconds: visit.start + days * 86_400),
                patient, payer, encounter, medication.code, medication.description, GeneratedDecimalText.cents(medication.baseCents),
                GeneratedDecimalText.cents(coverage), String(dispenses), GeneratedDecimalText.cents(total), reason?.code ?? "", reason?.description ?? "",
            ])
            rows["medications", default: 0] += 1
        }
    }
}
