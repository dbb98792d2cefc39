import ArgumentParser
import Foundation
import Kafka
import Logging
import Marts
import Pipeline
import Service
import State
import Synthea

/// `emr demo`: the whole pipeline on a generated export, in one command.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Generate an export, start an embedded broker, produce every facility, consume, verify and export.",
        discussion: """
            Everything runs in this process on librdkafka's mock cluster, so nothing else needs \
            installing. Writes <out>/export (the generated Synthea CSVs), <out>/state.sqlite \
            (the consumer's state) and <out>/marts (the CSV export with its manifest). \
            The live dashboard and the HTTP API are served on --http from the start (watch the \
            figures grow) and after the demo until Ctrl-C; --no-serve skips them (scripts, CI).

            Examples:
              emr demo
              emr demo --no-serve
              emr demo --http 127.0.0.1:9090
              emr demo --out /tmp/demo --patients 500 --organizations 40 --seed 7
            """
    )

    @Option(name: .long, help: ArgumentHelp("Output directory.", valueName: "dir"))
    var out = "demo-out"

    @Option(name: .long, help: "Patients to generate.")
    var patients = 200

    @Option(name: .long, help: "Facilities (organizations) to generate.")
    var organizations = 25

    @Option(name: .long, help: "Generator seed.")
    var seed: UInt64 = 1

    @Option(name: .long, help: ArgumentHelp("Where the dashboard and API listen during and after the demo.", valueName: "host:port"))
    var http = "127.0.0.1:8080"

    @Flag(name: .long, help: "Do not serve the dashboard; exit when the demo is done.")
    var noServe = false

    @OptionGroup var topics: TopicsDirectoryOption
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        try OptionChecks.nonEmpty(out, "--out")
        if HTTPAddress(http) == nil { throw ValidationError("--http must be HOST:PORT, e.g. 127.0.0.1:8080 (got '\(http)')") }
        try OptionChecks.check(patients, "--patients", 1...100_000)
        try OptionChecks.check(organizations, "--organizations", 1...10_000)
    }

    func run() async throws {
        let logger = logging.makeLogger("emr.demo")
        let statePath = "\(out)/state.sqlite"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: statePath + suffix) }
        let status = ServiceStatus(), metrics = ServiceMetrics()
        var serving: Task<Void, Error>?
        if !noServe, let address = HTTPAddress(http) {
            let routes = APIRoutes(status: status, metrics: metrics, reader: StateReader(path: statePath))
            let server = HTTPService(address: address, routes: routes, token: nil, logger: logger) { port in
                print("== dashboard: http://\(HTTPAddress(host: address.host, port: port))/ (API under /api/v1, metrics at /metrics)")
            }
            serving = Task { try await ServiceRunner.run([.init(service: server)], logger: logger) }
        }
        // The pipeline blocks: it runs on a thread of its own, not on the concurrency pool.
        try await BlockingThread.run(name: "emr-demo") { try self.pipeline(statePath: statePath, status: status, metrics: metrics, logger: logger) }
        if let serving {
            print("demo: serving the dashboard until Ctrl-C")
            try await serving.value
        }
    }

    private func pipeline(statePath: String, status: ServiceStatus, metrics: ServiceMetrics, logger: Logger) throws {
        let catalog = try topics.catalog()
        let exportDirectory = "\(out)/export", martsDirectory = "\(out)/marts"

        step("generating a Synthea-layout export: \(patients) patients, \(organizations) facilities, seed \(seed)")
        let generated = try ExportGenerator(options: GeneratorOptions(patients: patients, organizations: organizations, seed: seed))
            .write(to: exportDirectory)
        print("   " + ["patients", "encounters", "conditions", "medications", "organizations", "providers"]
            .map { "\($0) \(generated.rows[$0] ?? 0)" }.joined(separator: ", "))

        step("starting the embedded broker with the topics declared \(topics.directory.map { "under \($0)/" } ?? "in emr (topics/)")")
        let broker = try EmbeddedBroker(brokers: 1, logger: logger)
        try broker.createTopics(catalog)
        let kafka = KafkaConfiguration(bootstrapServers: broker.bootstrapServers)
        print("   \(broker.bootstrapServers): " + catalog.topics.map { "\($0.name)[\($0.partitions)]" }.joined(separator: " "))

        step("producing every facility's slice in event-time order")
        let producer = try KafkaProducer(configuration: ProducerConfiguration(kafka: kafka), logger: logger)
        let display = ProgressDisplay()
        let produced = try FacilityProducers(options: ProduceOptions(exportDirectory: exportDirectory, facilities: nil), producer: producer,
                                             builder: try RecordMessageBuilder(catalog: catalog), logger: logger).run(progress: display.show)
        display.finish()
        try? producer.close(timeoutMs: 1_000)
        print("   " + ProduceReport.line(produced))
        guard produced.lost == 0 else { throw RuntimeFailure("\(produced.lost) records were not delivered") }

        step("consuming into \(statePath) until caught up")
        var options = ConsumeOptions(statePath: statePath)
        options.exitWhenCaughtUp = true
        options.quietPeriodMs = 1_000
        options.groupID = "emr-demo"
        let consumed = try ConsumerService(options: options, kafka: kafka, catalog: catalog, logger: logger).run(
            progress: { p in
                status.update(from: p, group: options.groupID)
                display.show(p)
            },
            batchApplied: { outcome, seconds in metrics.batchApplied(outcome, seconds: seconds) })
        status.update { $0.consuming = false }
        display.finish()
        print("   " + ConsumeReport.line(consumed))

        let store = try StateStore(readingExisting: statePath, migrations: MartSchema.migrations)
        step("verifying every mart against its batch definition")
        let comparisons = try MartVerifier(database: store.database).verify()
        for c in comparisons { print("   \(c.mart.padding(toLength: 42, withPad: " ", startingAt: 0)) \(String(c.rows).leftPad(7)) rows  \(c.matches ? "ok" : "DIFFERS")") }
        guard comparisons.allSatisfy(\.matches) else { throw RuntimeFailure("some marts differ from their batch definition") }

        step("a few figures from the marts")
        try printSummary(store.database)

        step("exporting the marts as CSV")
        let exported = try MartExporter(database: store.database).exportCSV(to: martsDirectory, replace: true)
        print("   \(exported.rows.values.reduce(0, +)) rows in \(exported.rows.count) files + manifest.json -> \(martsDirectory)/")
        withExtendedLifetime(broker) {}
        print("demo: done. Try: .build/debug/emr verify --state \(statePath); ls \(martsDirectory)")
    }

    private func step(_ text: String) { print("== \(text)") }

    private func printSummary(_ db: SQLiteDatabase) throws {
        print("   encounters by class (count, readmissions within 7 days):")
        for row in try MartHighlights.encountersByClass(db) {
            print("     \(row.encounterClass.padding(toLength: 12, withPad: " ", startingAt: 0)) \(String(row.encounters).leftPad(6)) \(String(row.readmissions).leftPad(6))")
        }
        print("   last 3 months by total claim cost:")
        for month in try MartHighlights.latestMonths(db, count: 3) {
            print("     \(month.month) \(String(month.encounters).leftPad(5)) encounters  \(month.totalClaimCost)")
        }
        print("   top medications by dispenses:")
        for medication in try MartHighlights.topMedications(db, count: 3) {
            print("     \(String(medication.dispenses).leftPad(7))  \(medication.description)")
        }
    }
}
