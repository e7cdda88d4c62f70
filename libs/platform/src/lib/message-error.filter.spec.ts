import { BadRequestException } from '@nestjs/common';
import { lastValueFrom } from 'rxjs';
import { MessageErrorFilter } from './message-error.filter';

describe('MessageErrorFilter', () => {
  const filter = new MessageErrorFilter();

  it('hands the exception itself to the transport, so an outage keeps its error code', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    await expect(lastValueFrom(filter.catch(refused))).rejects.toBe(refused);
  });

  it('turns a refused payload into an error naming its fields, never their values', async () => {
    const refused = new BadRequestException(['cardNumber must be 12 to 19 digits', 'property extra should not exist']);
    await expect(lastValueFrom(filter.catch(refused))).rejects.toThrow('invalid message: cardNumber must be 12 to 19 digits; property extra should not exist');
  });
});
