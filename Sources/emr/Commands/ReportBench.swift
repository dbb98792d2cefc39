import ArgumentParser
import Foundation
import Marts
import Staging
import State
import Synthea

/// `emr bench report`: how long the dashboard's report takes on a large state.
struct ReportBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Build a state of N generated patients (directly, without Kafka), then time the dashboard report.",
        discussion: """
            Generates an export, stages and applies every record into a new state file (the \
            consumer's mart maintenance, in batches of 5,000 per transaction), then runs the \
            report of /api/v1/report for all time and for a 3-year range, --runs times each on a \
            fresh read-only connection, and prints the median and the slowest. The embedded broker \
            keeps only about 5 MiB per partition, so a state this large is built without it.

            Examples:
              emr bench report --patients 6000
              emr bench report --state /tmp/big.sqlite --keep      # reuse it next time with --state
            """
    )

    @Option(name: .long, help: "Patients to generate.")
    var patients = 6_000

    @Option(name: .long, help: ArgumentHelp("State file to build (or to reuse when it exists).", valueName: "file"))
    var state: String?

    @Option(name: .long, help: "Timed runs per range.")
    var runs = 15

    @Flag(name: .long, help: "Keep the state file.")
    var keep = false

    func validate() throws {
        try OptionChecks.check(patients, "--patients", 1...100_000)
        try OptionChecks.check(runs, "--runs", 1...1_000)
        try OptionChecks.nonEmpty(state, "--state")
    }

    func run() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("emr-report-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let path = state ?? "\(work)/state.sqlite"
        if !FileManager.default.fileExists(atPath: path) {
            let started = Date()
            let generated = try ExportGenerator(options: GeneratorOptions(patients: patients, organizations: patients / 8 + 1, seed: 6))
                .write(to: "\(work)/export")
            print("generated \(generated.rows.values.reduce(0, +)) records for \(patients) patients in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
            let applied = try Self.build(path, from: "\(work)/export")
            print("applied \(applied) records into \(path) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        }
        let reader = try StateStore(readingExisting: path, migrations: MartSchema.migrations)
        let encounters = try reader.database.scalar("SELECT count(*) FROM fact_patient_encounters")?.int ?? 0
        let patientsInState = try reader.database.scalar("SELECT count(*) FROM dim_patients")?.int ?? 0
        reader.database.close()
        print("state: \(patientsInState) patients, \(encounters) encounters")
        for range in [ReportRange(), ReportRange(from: "2019-01-01", to: "2021-12-31")] {
            var times: [Double] = []
            for _ in 0..<runs {
                let t0 = Date()
                let store = try StateStore(readingExisting: path, migrations: MartSchema.migrations)
                _ = try store.database.readTransaction { try DashboardReport.compute(store.database, range: range) }
                store.database.close()
                times.append(Date().timeIntervalSince(t0) * 1000)
            }
            times.sort()
            print(String(format: "report %@: median %.1f ms, slowest %.1f ms (%d runs)",
                         "\(range.from ?? "all")..\(range.to ?? "time")", times[times.count / 2], times.last!, runs))
        }
        if keep || state != nil { print("state kept: \(path)") } else { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Stages and applies every row of an export, in batches.
    static func build(_ path: String, from directory: String) throws -> Int {
        let store = try StateStore(path: path, migrations: MartSchema.migrations)
        let maintainer = try MartMaintainer(database: store.database)
        let export = try SyntheaExport(directory: directory)
        var offset: Int64 = 0
        var pending: [(StagedRecord, SourcePosition)] = []
        func flush() throws {
            try store.inBatch { _ in try maintainer.batch { for (record, position) in pending { _ = try maintainer.apply(record, at: position) } } }
            pending.removeAll(keepingCapacity: true)
        }
        for entity in [Entity.organizations, .providers, .patients, .encounters, .conditions, .medications] {
            try export.forEachRow(entity) { row in
                offset += 1
                guard case .accepted(let record) = Stager.stage(entity, value: Dictionary(uniqueKeysWithValues: zip(row.header.names, row.values)), key: nil) else { return }
                pending.append((record, SourcePosition(topic: "bench", partition: 0, offset: offset, ingestedMs: 1_700_000_000_000 + offset)))
                if pending.count >= 5_000 { try flush() }
            }
        }
        try flush()
        store.database.close()
        return Int(offset)
    }
}
