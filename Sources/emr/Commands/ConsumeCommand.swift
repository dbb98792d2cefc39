import ArgumentParser
import Foundation
import Kafka
import Logging
import Marts
import Pipeline
import Service

/// `emr consume`: the consumer service.
struct ConsumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Consume the raw topics into the state file: staging, deduplication, all 11 marts.",
        discussion: """
            Each batch is one SQLite transaction: decode, stage (spec section 4), deduplicate \
            (latest ingestion wins), update every mart incrementally, quarantine refused records \
            with their reasons, and store the next offset of every partition. On start and on \
            every assignment the consumer seeks to the offsets in the state file, so a restart \
            resumes exactly after the last committed batch. SIGINT/SIGTERM finish the batch in \
            progress, leave the group and exit 0; a second signal exits at once (130).

            Refused records (not decodable, or refused by staging) go to the dead-letter topic \
            with their original key, value and headers plus __connect.errors.* context headers, \
            and into the quarantine table (`emr quarantine`), before the batch commits. \
            When the state file cannot be written (read-only, disk full, locked), no offset \
            advances: the batch is retried with backoff (0.5 s doubling to 30 s) until it can be. \
            A stored offset the log no longer has (retention), or one beyond the log end (the log \
            was replaced), stops the consumer with exit 1 unless --accept-gap is given, which \
            records the gap in the state file. The state file remembers the Kafka cluster id \
            and refuses another cluster unless --accept-cluster-change is given. Records whose \
            ce_time lies more than --max-clock-skew (300 s) after their Kafka timestamp, or in \
            the future, are refused. One consumer per state file: a second one exits 1 at once. \
            Faults present at start (missing or read-only directory, read-only file, a file of \
            another application) fail at once; faults that appear while running are retried.

            With --http HOST:PORT (or EMR_HTTP) the consumer is also an HTTP service: /livez, \
            /readyz, /metrics (Prometheus), /api/v1/status, /api/v1/marts, /api/v1/marts/NAME \
            (JSON pages; NAME.csv streams the export format), /api/v1/quarantine. SIGTERM/SIGINT \
            then turn readiness to 503 at once, commit the batch in progress, stop HTTP and \
            exit 0.

            With --state-dir DIR (scale-out, docs/scaling.md) the state is a file per task \
            (partition p of the patient topics, partition r of the reference topics), so the \
            instances of one group hold distinct tasks. A task assigned without its file is \
            restored by replaying its partitions; meanwhile /readyz answers 503 "restoring \
            tasks ..." and emr_restore_records_remaining counts down. The HTTP API serves the \
            merge of the tasks this instance owns; ?scope=cluster serves the whole group's, \
            gathered from the instances announced on the emr.instances topic (each announces \
            --advertise-url).

            With --snapshot-every DURATION --snapshot-dir DIR a complete export of the marts \
            (--snapshot-format, CSV by default) is written every interval into \
            DIR/<UTC timestamp>/ (atomically, on a thread of its own with a read-only \
            connection: the consume loop never waits for it), DIR/latest is switched to the \
            newest, and the newest --snapshot-keep (24) are kept. A failed snapshot is logged \
            and tried again at the next interval.

            Exit codes: 0 stopped by a signal or caught up, 1 runtime failure, 2 usage error.

            Examples:
              emr consume --state state.sqlite
              emr consume --brokers localhost:9092 --state state.sqlite --exit-when-caught-up
              emr consume --state state.sqlite --group emr-a --batch-size 5000
              emr consume --state /data/state.sqlite --instance-id emr-0 --ready-file /tmp/emr-ready
              emr consume --state state.sqlite --http 127.0.0.1:8080   # then: curl localhost:8080/readyz
              emr consume --state state.sqlite --snapshot-every 1h --snapshot-dir snapshots --snapshot-keep 48
              emr consume --state-dir /data/tasks --group emr   # a file per task
              emr consume --state-dir d --http 0.0.0.0:8080 --advertise-url http://emr1:8080
            """
    )

    @Option(name: .long, help: ArgumentHelp("State database (SQLite); created when missing.", valueName: "file"))
    var state: String?

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("A file per task (patients-<p>.sqlite, reference-<r>.sqlite) in this directory instead of one --state file, so the instances of a group hold distinct tasks that `emr export --state-dir A --state-dir B` merges (created when missing).", valueName: "dir"))
    var stateDirectory: String?

    @Option(name: .long, help: ArgumentHelp("With --state-dir: threads applying different tasks at once (default: the number of cores).", valueName: "n"))
    var workers: Int?

    /// The state file or directory.
    var stateLocation: String { state ?? stateDirectory ?? "" }

    @Option(name: .long, help: ArgumentHelp("Consumer group id.", valueName: "id"))
    var group = "emr-consumer"

    @Option(name: .long, help: ArgumentHelp("Static group membership id (restarts keep their partitions).", valueName: "id"))
    var instanceID: String?

    @Flag(name: .long, help: "Exit 0 once every assigned partition is processed up to its high watermark and nothing new arrived for the quiet period.")
    var exitWhenCaughtUp = false

    @Option(name: .long, help: ArgumentHelp("Seconds without new messages before --exit-when-caught-up checks the watermarks.", valueName: "s"))
    var quietPeriod: Double = 2

    @Option(name: .long, help: ArgumentHelp(
        "Most messages per batch (one transaction; default: 20000 with --state, read 5000 at a time while more is queued; 5000 with --state-dir).",
        valueName: "n"))
    var batchSize: Int?

    @Option(name: .long, help: ArgumentHelp("Longest wait for a batch to fill.", valueName: "ms"))
    var maxBatchLatency = 250

    @Option(name: .long, help: ArgumentHelp("Readmission window; fixed when the state file is created.", valueName: "days"))
    var readmissionWindow = 7

    @Flag(name: .long, help: "When a stored offset is outside the log (older than its start, or beyond its end because the log was replaced), record the gap in the state file and continue from the log start (default: stop with exit 1).")
    var acceptGap = false

    @Flag(name: .long, help: "Accept brokers of another Kafka cluster than the one recorded in the state file (logs migrated with their offsets; default: stop with exit 1).")
    var acceptClusterChange = false

    @Option(name: .long, help: ArgumentHelp("With --exit-when-caught-up: exit 1 when no broker answered within this time.", valueName: "s"))
    var connectTimeout: Double = 60

    @Option(name: .long, help: ArgumentHelp("How far ce_time may lie after the message's Kafka timestamp, or either after this clock; later records are refused.", valueName: "s"))
    var maxClockSkew: Double = Double(RecordDecoder.defaultMaxClockSkewMs / 1000)

    @Option(name: .long, help: ArgumentHelp("Largest message value accepted; bigger ones are dead-lettered unread.", valueName: "bytes"))
    var maxValueBytes = RecordDecoder.defaultMaxValueBytes

    @Option(name: .long, help: ArgumentHelp("File present while the consumer is ready (brokers reachable, partitions assigned, state writable).", valueName: "file"))
    var readyFile: String?

    @Option(name: .customLong("snapshot-every"), help: ArgumentHelp("Write a complete export of the marts this often (30s, 5m, 1h, 1h30m) into --snapshot-dir.", valueName: "duration"))
    var snapshotEvery: DurationText?

    @Option(name: .customLong("snapshot-dir"), help: ArgumentHelp("Where scheduled snapshots go: DIR/<UTC timestamp>/, and DIR/latest pointing at the newest.", valueName: "dir"))
    var snapshotDirectory: String?

    @Option(name: .customLong("snapshot-keep"), help: ArgumentHelp("How many scheduled snapshots to keep (the oldest are removed).", valueName: "k"))
    var snapshotKeep: Int = 24

    @Option(name: .customLong("snapshot-format"), help: "Format of scheduled snapshots: csv, jsonl or sqlite.")
    var snapshotFormat: ExportFormat = .csv

    @Option(name: .customLong("advertise-url"), help: ArgumentHelp("With --state-dir and --http: the base URL other instances reach this one's API at, announced on the instances topic for ?scope=cluster (default: http://<--http host, or this host's name when it listens on all addresses>:<port>).", valueName: "url"))
    var advertiseURL: String?

    @OptionGroup var httpOptions: HTTPOptions
    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var topics: TopicsDirectoryOption
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        switch (state, stateDirectory) {
        case (nil, nil): throw ValidationError("give --state FILE or --state-dir DIR")
        case (.some, .some): throw ValidationError("--state and --state-dir do not go together")
        default: break
        }
        try OptionChecks.nonEmpty(state, "--state")
        try OptionChecks.nonEmpty(stateDirectory, "--state-dir")
        try OptionChecks.check(workers, "--workers", 1...256)
        if workers != nil, stateDirectory == nil { throw ValidationError("--workers goes with --state-dir (one state file is applied by one thread)") }
        if advertiseURL != nil, stateDirectory == nil || httpOptions.address == nil { throw ValidationError("--advertise-url goes with --state-dir and --http") }
        if let advertiseURL, (try? HTTPProbe(url: advertiseURL)) == nil { throw ValidationError("--advertise-url: '\(advertiseURL)' is not an http://HOST:PORT URL") }
        try OptionChecks.nonEmpty(kafka.brokers, "--brokers (or EMR_BROKERS)")
        try OptionChecks.check(batchSize, "--batch-size", 1...1_000_000)
        try OptionChecks.check(maxBatchLatency, "--max-batch-latency", 1...60_000, unit: " ms")
        try OptionChecks.check(quietPeriod, "--quiet-period", 0...86_400, unit: " s")
        try OptionChecks.check(readmissionWindow, "--readmission-window", 0...36_500, unit: " days")
        try OptionChecks.check(maxValueBytes, "--max-value-bytes", 1...(64 << 20))
        try OptionChecks.check(connectTimeout, "--connect-timeout", 1...86_400, unit: " s")
        try OptionChecks.check(maxClockSkew, "--max-clock-skew", 0...86_400, unit: " s")
        try OptionChecks.nonEmpty(readyFile, "--ready-file")
        try OptionChecks.check(snapshotEvery?.seconds, "--snapshot-every", 1...(30 * 86_400), unit: " s")
        try OptionChecks.check(snapshotKeep, "--snapshot-keep", 1...100_000)
        try OptionChecks.nonEmpty(snapshotDirectory, "--snapshot-dir")
        if (snapshotEvery == nil) != (snapshotDirectory == nil) {
            throw ValidationError("--snapshot-every and --snapshot-dir go together")
        }
    }

    /// The scheduled snapshots, when asked for.
    func periodicSnapshots(_ reader: StateReader, _ logger: Logger) -> PeriodicSnapshots? {
        guard let snapshotEvery, let snapshotDirectory else { return nil }
        return PeriodicSnapshots(rotation: SnapshotRotation(directory: snapshotDirectory, keep: snapshotKeep, format: snapshotFormat),
                                 reader: reader, intervalSeconds: snapshotEvery.seconds, logger: logger)
    }

    /// What HTTP handlers and snapshots read: the state file, or with --state-dir the merge of
    /// the tasks this instance owns now (rebuilt at most once a second while they change). The
    /// status must be fed by the consume loop; close the cache at the end.
    func stateReader(_ status: ServiceStatus) throws -> (StateReader, MergedStateCache?) {
        guard let stateDirectory else { return (StateReader(path: stateLocation), nil) }
        status.update { $0.tasks = [] }
        let cache = try MergedStateCache(source: TaskDirectorySource(directories: [stateDirectory], tasks: { status.snapshot.tasks ?? [] }))
        return (StateReader(merging: cache, description: "merge of this instance's tasks in \(stateDirectory)"), cache)
    }

    func options() -> ConsumeOptions {
        var options = ConsumeOptions(statePath: stateLocation)
        options.stateDirectory = stateDirectory != nil
        options.workers = workers ?? ProcessInfo.processInfo.activeProcessorCount
        options.groupID = group
        options.instanceID = instanceID
        options.batchSize = batchSize ?? (stateDirectory == nil ? 20_000 : 5_000)
        options.maxBatchLatencyMs = Int32(maxBatchLatency)
        options.exitWhenCaughtUp = exitWhenCaughtUp
        options.quietPeriodMs = Int(quietPeriod * 1000)
        options.readmissionWindowDays = Int64(readmissionWindow)
        options.acceptGap = acceptGap
        options.acceptClusterChange = acceptClusterChange
        options.connectTimeoutMs = Int(connectTimeout * 1000)
        options.maxClockSkewMs = Int64(maxClockSkew * 1000)
        options.maxValueBytes = maxValueBytes
        options.readyFile = readyFile
        // Fault injection for the crash tests only (see CommitHold); not an option users see.
        options.commitHold = ProcessInfo.processInfo.environment["EMR_FAULT_HOLD_BEFORE_COMMIT"].flatMap(CommitHold.init(parsing:))
        return options
    }

    func run() async throws {
        if let address = httpOptions.address {
            try await runAsService(address)
            return
        }
        let logger = logging.makeLogger("emr.consume")
        let stop = StopSignal()
        let service = try ConsumerService(options: options(), kafka: try kafka.configuration(), catalog: try topics.catalog(), logger: logger)
        let status = ServiceStatus()
        let (reader, merged) = try stateReader(status)
        defer { merged?.close() }
        let snapshots = periodicSnapshots(reader, logger)
        snapshots?.start()
        defer { snapshots?.stop() }
        let display = ProgressDisplay()
        let result = try service.run(progress: { [group] p in
            status.update(from: p, group: group)
            display.show(p)
        }, shouldStop: { stop.isSet })
        display.finish()
        print(ConsumeReport.line(result) + (stop.signalName.map { " (stopped by \($0))" } ?? ""))
    }
}

extension ConsumeCommand {
    /// With --http: the consume loop and the HTTP server as lifecycle services.
    func runAsService(_ address: HTTPAddress) async throws {
        let logger = logging.makeLogger("emr.consume")
        let status = ServiceStatus(), metrics = ServiceMetrics()
        let (reader, merged) = try stateReader(status)
        defer { merged?.close() }
        let catalog = try topics.catalog(), kafkaConfiguration = try kafka.configuration(), token = try httpOptions.token()
        let loop = ConsumerLoopService(options: options(), kafka: kafkaConfiguration, catalog: catalog, status: status, metrics: metrics, logger: logger)
        // With --state-dir: this instance's task files, and the cluster's merge through the
        // instances announced on the instances topic.
        let registry = stateDirectory.flatMap { _ in catalog.instancesTopic }.map { topic in
            InstanceRegistry(identity: .init(instance: instanceID, group: group), kafka: kafkaConfiguration, topic: topic.name, status: status, logger: logger)
        }
        let clusterCache = try registry.map { try MergedStateCache(source: ClusterSource(registry: $0, token: token), refreshInterval: .seconds(2)) }
        defer { clusterCache?.close() }
        let routes = APIRoutes(status: status, metrics: metrics, reader: reader,
                               tasks: stateDirectory.map { directory in TaskFilesAccess(directory: directory, instance: instanceID) { status.snapshot.tasks ?? [] } },
                               cluster: clusterCache.map { StateReader(merging: $0, description: "merge of every announced instance's tasks") })
        let advertise = advertiseURL
        let http = HTTPService(address: address, routes: routes, token: token, logger: logger) { port in
            registry?.advertise(url: advertise ?? Self.defaultAdvertisedURL(address, port: port))
        }
        let snapshots = periodicSnapshots(reader, logger)
        snapshots?.start()
        defer { snapshots?.stop() }
        try await ServiceRunner.run([
            .init(service: http),
            .init(service: loop, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
        ] + (registry.map { [.init(service: $0)] } ?? []), logger: logger)
        let result = loop.result
        if let totals = result.totals {
            print(ConsumeReport.line(totals) + (result.stoppedOnRequest ? " (stopped by a shutdown signal)" : ""))
        }
    }
}

extension ConsumeCommand {
    /// Where others reach this instance: the --http host, or this host's name when it listens
    /// on every address.
    static func defaultAdvertisedURL(_ address: HTTPAddress, port: Int) -> String {
        let host = ["0.0.0.0", "::", ""].contains(address.host) ? ProcessInfo.processInfo.hostName : address.host
        return "http://\(HTTPAddress(host: host, port: port))"
    }
}

/// One-line consumer figures.
enum ConsumeReport {
    static func line(_ p: ConsumeProgress) -> String {
        let batches = Double(max(p.batches, 1)), t = p.timings
        return String(format: "consume: read %d (applied %d, unchanged %d, rejected %d) in %d batches, %.1f s (first to last message %.2f s, applying %.2f s), %.0f rec/s, %d partitions assigned",
                      p.totals.read, p.totals.applied, p.totals.stale, p.totals.rejected, p.batches, p.elapsedSeconds, p.activeSeconds,
                      p.applySeconds, p.rate, p.assigned) + (p.retries > 0 ? ", \(p.retries) batch retries" : "")
            + String(format: "; per batch: decode %.2f ms, stage %.2f ms, marts %.2f ms, commit %.2f ms, applying CPU %.2f ms; peak RSS %.0f MB",
                     t.decode / batches * 1000, t.stage / batches * 1000, t.marts / batches * 1000, t.commit / batches * 1000,
                     t.applyingCPU / batches * 1000, ProcessMetrics.peakResidentMB)
            + (p.latency.count > 0
                ? "; Kafka timestamp to commit: p50 \(p.latency.percentile(0.5)!) ms, p99 \(p.latency.percentile(0.99)!) ms, max \(p.latency.maxMs) ms"
                : "")
    }
}
