// The home page: its texts in the chosen language.
'use strict';

kobaiI18n.init();
