import Foundation
import Marts

/// The task files of every instance of the cluster, for `?scope=cluster`: the live instances of
/// the ``InstanceRegistry`` are asked for their tasks (`GET /api/v1/tasks`); for each task the
/// copy that is furthest along is fetched (`GET /api/v1/tasks/NAME`, a consistent copy of the
/// file) and the copies are merged as `emr export --state-dir` merges directories. An instance
/// that announced itself but does not answer fails the request (503, naming it): the answer is
/// exact or there is none. A killed instance's announcement is ignored once it is stale (30 s).
public struct ClusterSource: MergeSource {
    public let registry: InstanceRegistry
    /// The bearer token the instances share, if any.
    public let token: String?
    public var timeoutSeconds = 10.0
    /// Largest task file fetched.
    public var maxTaskBytes = 1 << 30

    public init(registry: InstanceRegistry, token: String?) {
        self.registry = registry
        self.token = token
    }

    /// What failed while gathering the cluster's tasks.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Per task: the instance URL holding the furthest copy and its progress, sorted by task.
    func furthestCopies() throws -> [(task: String, url: String, progress: Int64)] {
        let members = registry.members()
        guard !members.isEmpty else {
            throw Failure(description: "no instance has announced itself on the instances topic yet (they do every few seconds); try again")
        }
        var best: [String: (url: String, progress: Int64)] = [:]
        for member in members {
            let answer = try get(member.url + "/api/v1/tasks", from: member, maxBytes: 1 << 20)
            guard let listing = try? JSONDecoder().decode(TaskListing.self, from: Data(answer)) else {
                throw Failure(description: "instance \(member.instance) at \(member.url): /api/v1/tasks is not a task listing")
            }
            for task in listing.tasks where task.progress > best[task.name]?.progress ?? -1 {
                best[task.name] = (member.url, task.progress)
            }
        }
        return best.keys.sorted().map { (task: $0, url: best[$0]!.url, progress: best[$0]!.progress) }
    }

    public func fingerprint() throws -> String {
        try furthestCopies().map { "\($0.task) \($0.url) \($0.progress)" }.joined(separator: "\n")
    }

    public func files(scratch: String) throws -> [String] {
        let members = Dictionary(registry.members().map { ($0.url, $0) }) { first, _ in first }
        return try furthestCopies().map { copy in
            let member = members[copy.url] ?? InstanceAnnouncement(instance: copy.url, url: copy.url, group: "", tasks: [], at: 0)
            let bytes = try get("\(copy.url)/api/v1/tasks/\(copy.task)", from: member, maxBytes: maxTaskBytes)
            let path = TaskFiles.path(of: copy.task, in: scratch)
            guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
                throw Failure(description: "\(path): cannot write the copy of task \(copy.task)")
            }
            return path
        }
    }

    private func get(_ url: String, from member: InstanceAnnouncement, maxBytes: Int) throws -> [UInt8] {
        do {
            let answer = try HTTPProbe(url: url).fetch(timeoutSeconds: timeoutSeconds, maxBytes: maxBytes,
                                                       headers: token.map { ["Authorization": "Bearer \($0)"] } ?? [:])
            guard answer.status == 200 else {
                throw HTTPProbe.Failure(description: "answered \(answer.status): \(String(decoding: answer.body.prefix(300), as: UTF8.self))")
            }
            return answer.body
        } catch {
            throw Failure(description: "instance \(member.instance) at \(url) did not give its tasks: \(error)")
        }
    }
}

/// The body of `GET /api/v1/tasks`.
struct TaskListing: Codable, Sendable {
    var instance: String?
    var tasks: [TaskProgress]
}
