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
 * The bridge's relational state (message ledger, dead letters, identity and pending stores): an embedded H2 database
 * file under the data folder by default, or any JDBC database by setting, its schema kept by Flyway migrations in
 * {@code db/migration} (standard SQL).
 */
public class StateStore extends ServiceSupport {

    private final String jdbcUrl;
    private final String username;
    private final String password;
    private HikariDataSource dataSource;

    /** The embedded H2 file under {@code dataDir/state}. */
    public StateStore(Path dataDir) {
        this(null, "bridge", "", dataDir);
    }

    /**
     * @param jdbcUrl another database (its JDBC driver on the class path), or null for the embedded H2 file under
     *                {@code dataDir/state}
     */
    public StateStore(String jdbcUrl, String username, String password, Path dataDir) {
        // AUTO_SERVER off: the file belongs to this process alone; a second bridge on the same data folder fails fast.
        this.jdbcUrl = jdbcUrl != null ? jdbcUrl
                : "jdbc:h2:file:" + dataDir.resolve("state").toAbsolutePath().resolve("bridge") + ";DB_CLOSE_ON_EXIT=FALSE;LOCK_TIMEOUT=10000";
        this.username = username;
        this.password = password;
    }

    @Override
    protected void doStart() {
        HikariConfig config = new HikariConfig();
        config.setPoolName("state-store");
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(username);
        config.setPassword(password);
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
