import Foundation

/// Cuts a Synthea export into facility slices (spec section 2) and orders them, in bounded
/// memory: the joins (encounter to its conditions and medications, patient to the facilities
/// that saw it) run as merges of externally sorted streams, never as whole-export maps.
public final class FacilitySlicer {
    private let export: SyntheaExport
    private let options: SliceOptions
    private var headers: [Entity: CSVHeader] = [:]
    private var sequence: UInt64 = 0
    /// The selected facilities' numbers, known once organizations.csv is read.
    private var codes = FacilityCodes([])

    public init(export: SyntheaExport, options: SliceOptions) {
        self.export = export
        self.options = options
    }

    /// Reads the export and returns its slices as one ordered stream plus the counts.
    /// `progress` is told which file is being read.
    public func slice(progress: (String) -> Void = { _ in }) throws -> (SliceStream, SliceSummary) {
        var summary = SliceSummary()
        let events = ExternalSorter(memoryBudget: options.memoryBudget)

        progress("reading organizations and providers")
        try readOrganizations(into: events, summary: &summary)
        try readProviders(into: events, summary: &summary)

        progress("reading encounters, conditions and medications")
        // Conditions and medications are read on a thread of their own meanwhile.
        let childRows = ChildRowsReader(export: export, memoryBudget: options.memoryBudget)
        // A selected encounter goes to the output as it is read (its facility and time are its
        // own); the join with its conditions and medications needs only its id, facility and
        // time, so only those are sorted (with every encounter, to judge their children).
        let encounters = ExternalSorter(memoryBudget: options.memoryBudget)
        let patientVisits = ExternalSorter(memoryBudget: options.memoryBudget)
        let encounterTable = try export.open(.encounters)
        headers[.encounters] = encounterTable.header
        let column = { (name: String) in encounterTable.header.position(of: name)! }
        let (idColumn, facilityColumn, startColumn, patientColumn) = (column("Id"), column("ORGANIZATION"), column("START"), column("PATIENT"))
        var fields = RawFields()
        var visits = FirstVisits()
        while let line = try encounterTable.next(into: &fields) {
            let id = fields.text(idColumn), facility = codes.code(of: fields.text(facilityColumn))
            let time = EventTime.seconds(fields.text(startColumn))
            let place = RowCodec.encode(entity: .encounters, facility: facility, line: 0, eventTime: time, values: [])
            try encounters.add(key: key { $0.add(id); $0.add(nextSequence()) }, payload: place)
            guard facility != 0 else {
                summary.outsideSlices[.encounters, default: 0] += 1
                continue
            }
            try emit(.encounters, facility: facility, line: line, time: time, encounter: id,
                     payload: RowCodec.encode(entity: .encounters, facility: facility, line: line, eventTime: time, fields: fields),
                     into: events, summary: &summary)
            if let run = visits.note(patient: fields.text(patientColumn), facility: facility, time: time, sequence: nextSequence()) {
                try add(run, to: patientVisits)
            }
        }
        if let run = visits.finish() { try add(run, to: patientVisits) }

        let children = try childRows.rows()
        headers.merge(children.headers) { $1 }

        progress("joining encounters with their conditions and medications")
        try joinEncounters(encounters.finish(), children.sorter.finish(), events: events, summary: &summary)

        progress("joining patients with the facilities that saw them")
        let patients = ExternalSorter(memoryBudget: options.memoryBudget)
        let patientTable = try export.open(.patients)
        headers[.patients] = patientTable.header
        while let row = try patientTable.next() {
            let payload = RowCodec.encode(entity: .patients, facility: 0, line: row.line, eventTime: nil, values: row.values)
            try patients.add(key: key { $0.add(row["Id"]!); $0.add(nextSequence()) }, payload: payload)
        }
        try joinPatients(patients.finish(), patientVisits.finish(), events: events, summary: &summary)

        progress("ordering \(events.count) records")
        return (SliceStream(records: try events.finish(), headers: headers, facilities: codes), summary)
    }

    // MARK: - Steps

    /// Reads organizations.csv: numbers the selected facilities, publishes their rows.
    private func readOrganizations(into events: ExternalSorter, summary: inout SliceSummary) throws {
        let table = try export.open(.organizations)
        headers[.organizations] = table.header
        var rows: [CSVRow] = []
        var known: Set<String> = []
        while let row = try table.next() {
            let id = row["Id"]!
            known.insert(id)
            if isSelected(id) { rows.append(row) }
        }
        let selected = options.facilities.map { $0.intersection(known) } ?? known
        if let wanted = options.facilities { summary.unknownFacilities = wanted.subtracting(known).sorted() }
        summary.facilities = selected.count
        codes = FacilityCodes(selected)
        for row in rows {
            try emit(.organizations, facility: codes.code(of: row["Id"]!), row: row.values, line: row.line, time: nil, encounter: "",
                     into: events, summary: &summary)
        }
    }

    private func readProviders(into events: ExternalSorter, summary: inout SliceSummary) throws {
        let table = try export.open(.providers)
        headers[.providers] = table.header
        while let row = try table.next() {
            let facility = codes.code(of: row["ORGANIZATION"]!)
            guard facility != 0 else {
                summary.outsideSlices[.providers, default: 0] += 1
                continue
            }
            try emit(.providers, facility: facility, row: row.values, line: row.line, time: nil, encounter: "", into: events, summary: &summary)
        }
    }

    /// Merges encounters (by id: their facility and time) with conditions and medications (by
    /// encounter id): the children of a selected encounter join its slice at its time.
    private func joinEncounters(_ encounters: SortedRecordStream, _ children: SortedRecordStream,
                                events: ExternalSorter, summary: inout SliceSummary) throws {
        var child = try children.next()
        while let record = try encounters.next() {
            let encounter = RowCodec.header(record.payload)
            let idBytes = SortKeyPrefix.first(of: record.key)
            // Children of encounter ids smaller than this one have no encounter.
            while let c = child, SortKeyPrefix.compare(c.key, idBytes) < 0 {
                summary.outsideSlices[RowCodec.header(c.payload).entity, default: 0] += 1
                child = try children.next()
            }
            let selected = encounter.facility != 0
            let id = selected ? String(decoding: idBytes, as: UTF8.self) : ""
            while let c = child, SortKeyPrefix.compare(c.key, idBytes) == 0 {
                let row = RowCodec.header(c.payload)
                if selected {
                    try emit(row.entity, facility: encounter.facility, line: row.line, time: encounter.eventTime, encounter: id,
                             payload: RowCodec.placing(c.payload, facility: encounter.facility, eventTime: encounter.eventTime),
                             into: events, summary: &summary)
                } else {
                    summary.outsideSlices[row.entity, default: 0] += 1
                }
                child = try children.next()
            }
        }
        while let c = child {
            summary.outsideSlices[RowCodec.header(c.payload).entity, default: 0] += 1
            child = try children.next()
        }
    }

    /// A patient's first visits to the sorter of visits, keyed by patient, facility, time.
    private func add(_ run: (patient: String, visits: [FirstVisits.Visit]), to patientVisits: ExternalSorter) throws {
        for visit in run.visits {
            try patientVisits.add(key: key { $0.add(run.patient); $0.add(facility: visit.facility); $0.add(eventTime: visit.time); $0.add(visit.sequence) },
                                  payload: RowCodec.encode(entity: .encounters, facility: visit.facility, line: 0, eventTime: visit.time, values: []))
        }
    }

    /// Merges patients (by id) with their visits (by patient, facility, time): one patient row
    /// per facility, at that facility's first encounter of the patient.
    private func joinPatients(_ patients: SortedRecordStream, _ visits: SortedRecordStream, events: ExternalSorter,
                              summary: inout SliceSummary) throws {
        var visit = try visits.next()
        while let record = try patients.next() {
            let patient = RowCodec.header(record.payload)
            let idBytes = SortKeyPrefix.first(of: record.key)
            while let v = visit, SortKeyPrefix.compare(v.key, idBytes) < 0 {
                visit = try visits.next()  // visits of a patient missing from patients.csv
            }
            var lastFacility: Int?
            var published = false
            while let v = visit, SortKeyPrefix.compare(v.key, idBytes) == 0 {
                let first = RowCodec.header(v.payload)
                if first.facility != lastFacility {
                    lastFacility = first.facility
                    published = true
                    try emit(.patients, facility: first.facility, line: patient.line, time: first.eventTime, encounter: "",
                             payload: RowCodec.placing(record.payload, facility: first.facility, eventTime: first.eventTime),
                             into: events, summary: &summary)
                }
                visit = try visits.next()
            }
            if !published { summary.outsideSlices[.patients, default: 0] += 1 }
        }
    }

    // MARK: - Helpers

    private func isSelected(_ facility: String) -> Bool {
        options.facilities?.contains(facility) ?? true
    }

    private func nextSequence() -> UInt64 {
        sequence += 1
        return sequence
    }

    private func key(_ build: (inout SortKey) -> Void) -> [UInt8] {
        var key = SortKey()
        build(&key)
        return key.bytes
    }

    /// Adds a record to the output with the key of the chosen order.
    private func emit(_ entity: Entity, facility: Int, row: [String], line: Int, time: Int64?, encounter: String,
                      into events: ExternalSorter, summary: inout SliceSummary) throws {
        try emit(entity, facility: facility, line: line, time: time, encounter: encounter,
                 payload: RowCodec.encode(entity: entity, facility: facility, line: line, eventTime: time, values: row),
                 into: events, summary: &summary)
    }

    private func emit(_ entity: Entity, facility: Int, line: Int, time: Int64?, encounter: String, payload: [UInt8],
                      into events: ExternalSorter, summary: inout SliceSummary) throws {
        let rank = UInt8(entity.ordinal)
        let sortKey = key { k in
            switch options.order {
            case .eventTime:
                // Organizations and providers first (time 0 flag), then by time, facility,
                // encounter (a patient's empty id sorts before it), entity.
                k.add(byte: time == nil ? 0 : 1)
                k.add(eventTime: time)
                k.add(facility: facility)
                k.add(encounter)
                k.add(byte: rank)
            case .file:
                k.add(byte: rank)
                k.add(UInt64(line))
                k.add(facility: facility)
            }
            k.add(nextSequence())
        }
        try events.add(key: sortKey, payload: payload)
        summary.records[entity, default: 0] += 1
    }
}

/// Compares a sort key's first component (up to the first 0x00) with a value.
enum SortKeyPrefix {
    /// The key's first component.
    static func first(of key: [UInt8]) -> [UInt8] {
        Array(key[0..<(key.firstIndex(of: 0) ?? key.count)])
    }

    static func compare(_ key: [UInt8], _ value: [UInt8]) -> Int {
        let end = key.firstIndex(of: 0) ?? key.count
        let prefix = key[0..<end]
        if prefix.elementsEqual(value) { return 0 }
        return prefix.lexicographicallyPrecedes(value) ? -1 : 1
    }
}

/// The ordered records of every selected facility's slice.
public final class SliceStream {
    private let records: SortedRecordStream
    private let headers: [Entity: CSVHeader]
    private let facilities: FacilityCodes

    init(records: SortedRecordStream, headers: [Entity: CSVHeader], facilities: FacilityCodes) {
        self.records = records
        self.headers = headers
        self.facilities = facilities
    }

    /// The header of each entity's file (column names for the message values).
    public func header(of entity: Entity) -> CSVHeader? { headers[entity] }

    public func next() throws -> SlicedRecord? {
        guard let record = try records.next() else { return nil }
        let place = RowCodec.header(record.payload)
        return SlicedRecord(facility: facilities.name(of: place.facility), entity: place.entity, eventTime: place.eventTime, header: headers[place.entity]!,
                            line: place.line, encoded: record.payload, valuesStart: place.valuesStart)
    }
}
