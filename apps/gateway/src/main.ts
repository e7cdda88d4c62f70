import { bootstrap } from '@traceshop/platform';
import { AppModule } from './app.module';
import { setupOpenApi } from './openapi';

void bootstrap(AppModule, { configure: setupOpenApi });
