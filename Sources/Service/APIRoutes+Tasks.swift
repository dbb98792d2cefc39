import Foundation
import Hummingbird
import Marts

/// An instance's task files (`emr consume --state-dir`), as the task routes show them.
public struct TaskFilesAccess: Sendable {
    public let directory: String
    /// The instance's --instance-id, if given.
    public let instance: String?
    /// The tasks this instance owns now (its assigned partitions).
    public let owned: @Sendable () -> [String]

    public init(directory: String, instance: String?, owned: @escaping @Sendable () -> [String]) {
        self.directory = directory
        self.instance = instance
        self.owned = owned
    }
}

/// `/api/v1/tasks`: what the cluster view (``ClusterSource``) asks each instance for.
extension APIRoutes {
    /// The owned tasks that have a file, with their progress (sum of stored next offsets).
    func taskListResponse() throws -> Response {
        let access = try taskAccess()
        let tasks = try access.owned().compactMap { name -> TaskProgress? in
            let path = TaskFiles.path(of: name, in: access.directory)
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            return TaskProgress(name: name, progress: try TaskFiles.progress(of: path))
        }
        let body = try JSONEncoder.sorted.encode(TaskListing(instance: access.instance, tasks: tasks))
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// A consistent copy of one task file (SQLite), taken while the consumer keeps writing.
    func taskFileResponse(_ name: String) throws -> Response {
        let access = try taskAccess()
        let path = TaskFiles.path(of: name, in: access.directory)
        guard TaskFiles.isTaskName(name), FileManager.default.fileExists(atPath: path) else {
            throw HTTPError(.notFound, message: "no task file named \(name) in \(access.directory)")
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("emr-task-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try TaskFiles.copy(path, to: scratch)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: scratch))
        return Response(status: .ok, headers: [.contentType: "application/vnd.sqlite3", .cacheControl: "no-store",
                                               .contentDisposition: "attachment; filename=\"\(name).sqlite\""],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    private func taskAccess() throws -> TaskFilesAccess {
        guard let tasks else { throw HTTPError(.notFound, message: "no task files here: tasks are served by `emr consume --state-dir DIR --http ...`") }
        return tasks
    }
}
