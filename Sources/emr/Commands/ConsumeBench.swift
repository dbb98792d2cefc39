import ArgumentParser
import Foundation
import Kafka
import Logging
import Marts
import Pipeline
import State
import Synchronization
import Synthea

/// `emr bench consume`: the consumer service end to end beside a raw read of the same topics.
struct ConsumeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Generate, produce to an embedded broker, then time a raw read and the consumer service on the same topics.",
        discussion: """
            In one run: generates an export (--patients, seed --seed), starts an embedded broker
            in-process (raw topics with --partitions each, since it keeps only about 5 MiB per
            partition), publishes every facility, then
              (a) reads every raw topic with the project's Kafka consumer, applying nothing;
              (b) runs `emr consume --exit-when-caught-up` (this binary, a child process) into a
                  new state file, and `emr verify` on it.
            Prints both rates, their ratio, the consumer's records/s (first to last message), its
            peak RSS, and the time per batch split into decode, stage, marts and commit. Exits 1
            when verify finds a difference. Use a release build for figures.

            Examples:
              emr bench consume
              emr bench consume --patients 6000 --partitions 48
            """
    )

    @Option(name: .long, help: "Patients to generate.")
    var patients = 600

    @Option(name: .long, help: "Generator seed.")
    var seed: UInt64 = 3

    @Option(name: .long, help: ArgumentHelp("Partitions of each raw topic (default: as declared).", valueName: "n"))
    var partitions: Int32?

    @Option(name: .long, help: ArgumentHelp("Batch size of the consumer (default: its own).", valueName: "n"))
    var batchSize: Int?

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        try OptionChecks.check(patients, "--patients", 1...1_000_000)
        try OptionChecks.check(partitions, "--partitions", 1...1_000)
        try OptionChecks.check(batchSize, "--batch-size", 1...1_000_000)
    }

    func run() throws {
        let logger = logging.makeLogger("emr.bench")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("emr-consume-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }

        let generated = try ExportGenerator(options: GeneratorOptions(patients: patients, organizations: patients / 8 + 1, seed: seed))
            .write(to: "\(work)/export")
        print("generated \(generated.rows.values.reduce(0, +)) rows for \(patients) patients (seed \(seed))")

        var catalog = try BuiltInTopics.catalog()
        if let partitions {
            catalog = TopicCatalog(topics: catalog.topics.map { topic in
                var topic = topic
                if topic.role == .raw { topic.partitions = partitions }
                return topic
            })
        }
        let broker = try EmbeddedBroker(brokers: 1, logger: logger)
        try broker.createTopics(catalog)
        let kafka = KafkaConfiguration(bootstrapServers: broker.bootstrapServers)

        let producer = try KafkaProducer(configuration: ProducerConfiguration(kafka: kafka), logger: logger)
        let produced = try FacilityProducers(options: ProduceOptions(exportDirectory: "\(work)/export", facilities: nil), producer: producer,
                                             builder: try RecordMessageBuilder(catalog: catalog), logger: logger).run { _ in }
        try? producer.close(timeoutMs: 10_000)
        guard produced.lost == 0 else { throw RuntimeFailure("\(produced.lost) records not delivered") }
        print("produced \(produced.sentTotal) records to \(catalog.rawTopicsByEntity.count) raw topics")

        let raw = try rawRead(kafka, topics: catalog.topics.filter { $0.role == .raw }.map(\.name), expected: produced.sentTotal, logger: logger)
        print(String(format: "(a) raw read (project's consumer, nothing applied): %d messages in %.2f s = %.0f msg/s",
                     raw.count, raw.seconds, Double(raw.count) / max(raw.seconds, 1e-9)))

        var arguments = ["consume", "--brokers", broker.bootstrapServers, "--state", "\(work)/state.sqlite", "--exit-when-caught-up",
                         "--quiet-period", "1", "--group", "emr-bench-consume"]
        if let partitions { arguments += ["--topics", try writeTopics(catalog, partitions: partitions, into: work)] }
        if let batchSize { arguments += ["--batch-size", String(batchSize)] }
        let child = try runChild(arguments)
        guard child.status == 0, let line = child.stdout.split(separator: "\n").last(where: { $0.hasPrefix("consume: read") }) else {
            throw RuntimeFailure("emr consume exited \(child.status): \(child.stderr.suffix(2_000))")
        }
        let figures = try ConsumeFigures(String(line))
        let rate = Double(figures.read) / max(figures.activeSeconds, 1e-9)
        let rawRate = Double(raw.count) / max(raw.seconds, 1e-9)
        print(String(format: "(b) emr consume: %d records in %.2f s (first to last message) = %.0f records/s; %d batches; peak RSS %.0f MB",
                     figures.read, figures.activeSeconds, rate, figures.batches, figures.peakMB))
        print(String(format: "    per batch: decode %.2f ms, stage %.2f ms, marts %.2f ms, commit %.2f ms",
                     figures.decodeMs, figures.stageMs, figures.martsMs, figures.commitMs))
        print(String(format: "ratio consume/raw read: %.4f", rate / rawRate))

        let store = try StateStore(readingExisting: "\(work)/state.sqlite", migrations: MartSchema.migrations)
        let differences = try MartVerifier(database: store.database).verify().filter { !$0.matches }
        store.database.close()
        guard differences.isEmpty else { throw RuntimeFailure("verify: \(differences.count) mart(s) differ from their batch definition") }
        guard figures.read == produced.sentTotal else { throw RuntimeFailure("consumed \(figures.read) of \(produced.sentTotal) records") }
        print("verify: all 11 marts equal their batch definition")
        withExtendedLifetime(broker) {}
    }

    /// Reads every raw topic from the start until `expected` messages arrived.
    private func rawRead(_ kafka: KafkaConfiguration, topics: [String], expected: Int, logger: Logger) throws -> (count: Int, seconds: Double) {
        let reader = try KafkaConsumer(configuration: ConsumerConfiguration(kafka: kafka, groupID: "emr-bench-raw-\(getpid())"), logger: logger)
        defer { reader.close() }
        try reader.subscribe(topics: topics)
        var count = 0
        var first: ContinuousClock.Instant?
        let deadline = ContinuousClock.now + .seconds(300)
        while count < expected && ContinuousClock.now < deadline {
            let batch = try reader.poll(maxMessages: 10_000, timeoutMs: 500)
            if first == nil && !batch.isEmpty { first = .now }
            count += batch.count
        }
        return (count, first.map { (ContinuousClock.now - $0).seconds } ?? 0)
    }

    /// The consumer child reads the same partition counts as the broker (written as declarations).
    private func writeTopics(_ catalog: TopicCatalog, partitions: Int32, into work: String) throws -> String {
        let directory = "\(work)/topics"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, text) in BuiltInTopics.files {
            let adjusted = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                line.hasPrefix("partitions=") && text.contains("role=raw") ? "partitions=\(partitions)" : String(line)
            }.joined(separator: "\n")
            try adjusted.write(toFile: "\(directory)/\(name)", atomically: true, encoding: .utf8)
        }
        return directory
    }

    private func runChild(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        if !FileManager.default.isExecutableFile(atPath: process.executableURL!.path) {
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        }
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errData = Mutex(Data())
        let reading = Thread { errData.withLock { $0 = err.fileHandleForReading.readDataToEndOfFile() } }
        reading.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while reading.isExecuting { Thread.sleep(forTimeInterval: 0.01) }
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: errData.withLock { $0 }, as: UTF8.self))
    }
}

/// The figures of `emr consume`'s summary line.
struct ConsumeFigures {
    var read = 0, batches = 0
    var activeSeconds = 0.0, decodeMs = 0.0, stageMs = 0.0, martsMs = 0.0, commitMs = 0.0, peakMB = 0.0

    init(_ line: String) throws {
        guard let head = line.firstMatch(of: /read (\d+) .* in (\d+) batches, .*first to last message ([0-9.]+) s/),
              let split = line.firstMatch(of: /decode ([0-9.]+) ms, stage ([0-9.]+) ms, marts ([0-9.]+) ms, commit ([0-9.]+) ms; peak RSS ([0-9.]+) MB/) else {
            throw RuntimeFailure("cannot read the consumer's summary: \(line)")
        }
        read = Int(head.1) ?? 0
        batches = Int(head.2) ?? 0
        activeSeconds = Double(head.3) ?? 0
        (decodeMs, stageMs, martsMs, commitMs, peakMB) = (Double(split.1) ?? 0, Double(split.2) ?? 0, Double(split.3) ?? 0,
                                                         Double(split.4) ?? 0, Double(split.5) ?? 0)
    }
}
