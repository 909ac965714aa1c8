// Strict types for frontdoor's dashboards, built on Grafana's published
// dashboard and panel types (@grafana/schema). typecheck.mjs checks every
// dashboards/*.json against StrictDashboard, so a field Grafana does not know,
// a wrong enum value or a missing required option fails the check.
import type {
  Dashboard,
  DataQuery,
  FieldConfig,
  FieldConfigSource,
  Panel,
  RowPanel,
  VariableModel,
} from '@grafana/schema';
import type * as BarGauge from '@grafana/schema/dist/esm/raw/composable/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen';
import type * as Logs from '@grafana/schema/dist/esm/raw/composable/logs/panelcfg/x/LogsPanelCfg_types.gen';
import type * as PieChart from '@grafana/schema/dist/esm/raw/composable/piechart/panelcfg/x/PieChartPanelCfg_types.gen';
import type * as Stat from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type * as Table from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen';
import type * as TimeSeries from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';

/** A data source chosen by a dashboard variable, never a fixed uid. */
export type VariableRef = `\${${string}}`;

export interface LokiRef {
  type: 'loki';
  uid: VariableRef;
}

export interface PrometheusRef {
  type: 'prometheus';
  uid: VariableRef;
}

/** The query fields Grafana's Loki data source reads. */
export interface LokiQuery extends DataQuery {
  datasource: LokiRef;
  expr: string;
  queryType?: 'range' | 'instant' | 'stream';
  editorMode?: 'code' | 'builder';
  legendFormat?: string;
  maxLines?: number;
  resolution?: number;
  step?: string;
  direction?: 'forward' | 'backward' | 'scan';
}

/** The query fields Grafana's Prometheus data source reads. */
export interface PrometheusQuery extends DataQuery {
  datasource: PrometheusRef;
  expr: string;
  editorMode?: 'code' | 'builder';
  range?: boolean;
  instant?: boolean;
  format?: 'time_series' | 'table' | 'heatmap';
  legendFormat?: string;
  interval?: string;
  intervalFactor?: number;
  exemplar?: boolean;
}

type Query = LokiQuery | PrometheusQuery;

interface StrictFieldConfig<Custom> extends Omit<FieldConfig, 'custom'> {
  custom?: Custom;
}

interface StrictPanel<Type extends string, Options, Custom>
  extends Omit<Panel, 'type' | 'options' | 'fieldConfig' | 'targets' | 'datasource' | 'id' | 'title' | 'gridPos'> {
  type: Type;
  id: number;
  title: string;
  gridPos: NonNullable<Panel['gridPos']>;
  datasource: LokiRef | PrometheusRef;
  options: Options;
  fieldConfig: {
    defaults: StrictFieldConfig<Custom>;
    overrides: FieldConfigSource['overrides'];
  };
  targets: Query[];
}

export type StrictPanels =
  | StrictPanel<'timeseries', TimeSeries.Options, TimeSeries.FieldConfig>
  | StrictPanel<'stat', Stat.Options, never>
  | StrictPanel<'bargauge', BarGauge.Options, never>
  | StrictPanel<'piechart', PieChart.Options, PieChart.FieldConfig>
  | StrictPanel<'table', Table.Options, Table.FieldConfig>
  | StrictPanel<'logs', Logs.Options, never>;

export interface StrictRow extends Omit<RowPanel, 'panels' | 'title' | 'gridPos'> {
  title: string;
  gridPos: NonNullable<RowPanel['gridPos']>;
  panels: StrictPanels[];
}

export interface StrictVariable extends Omit<VariableModel, 'datasource'> {
  datasource?: LokiRef | PrometheusRef;
  definition?: string;
}

/**
 * Literal turns Grafana's string enums into unions of their values: JSON
 * holds "palette-classic", not FieldColorModeId.PaletteClassic.
 */
export type Literal<T> = T extends string
  ? string extends T
    ? string
    : `${T}`
  : T extends number | boolean | null | undefined
    ? T
    : T extends Array<infer U>
      ? Array<Literal<U>>
      : T extends object
        ? { [K in keyof T]: Literal<T[K]> }
        : T;

interface StrictDashboardEnums extends Omit<Dashboard, 'panels' | 'templating' | 'uid' | 'title'> {
  uid: string;
  title: string;
  panels: Array<StrictPanels | StrictRow>;
  templating: { list: StrictVariable[] };
}

/** What every dashboards/*.json must satisfy. */
export type StrictDashboard = Literal<StrictDashboardEnums>;
