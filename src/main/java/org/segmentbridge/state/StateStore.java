package org.segmentbridge.state;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.apache.camel.support.service.ServiceSupport;
import org.flywaydb.core.Flyway;

/**
 * The bridge's relational state (message ledger now; identity, pending and suppression stores later): an embedded
 * H2 database file under the data folder, its schema kept by Flyway migrations in {@code db/migration}.
 */
public class StateStore extends ServiceSupport {

    private final Path directory;
    private HikariDataSource dataSource;

    public StateStore(Path dataDir) {
        this.directory = dataDir.resolve("state").toAbsolutePath();
    }

    @Override
    protected void doStart() {
        HikariConfig config = new HikariConfig();
        config.setPoolName("state-store");
        // AUTO_SERVER off: the file belongs to this process alone; a second bridge on the same data folder fails fast.
        config.setJdbcUrl("jdbc:h2:file:" + directory.resolve("bridge") + ";DB_CLOSE_ON_EXIT=FALSE;LOCK_TIMEOUT=10000");
        config.setUsername("bridge");
        config.setPassword("");
        config.setMaximumPoolSize(16);
        config.setAutoCommit(true);
        dataSource = new HikariDataSource(config);
        Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
    }

    @Override
    protected void doStop() {
        if (dataSource != null) {
            dataSource.close();
            dataSource = null;
        }
    }

    public DataSource dataSource() {
        if (dataSource == null) {
            throw new IllegalStateException("state store is not started");
        }
        return dataSource;
    }

    public boolean isHealthy() {
        if (dataSource == null || dataSource.isClosed()) {
            return false;
        }
        try (Connection connection = dataSource.getConnection()) {
            return connection.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }
}
