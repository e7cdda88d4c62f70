import { bootstrap } from '@traceshop/platform';
import { AppModule } from './app.module';

void bootstrap(AppModule);
