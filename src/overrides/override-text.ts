// An operator's override snippet as the merges take it.

export interface OverrideText {
  /** Where the snippet comes from, for error messages (e.g. `config/webapp/webapp.ini`). */
  file: string;
  text: string;
}
